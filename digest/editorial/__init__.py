"""Editorial rules (pure): reading time, tags, summaries and curation of an issue."""
