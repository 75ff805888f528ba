"""Rendering (pure): an issue -> MJML -> HTML and a plain-text part, personalised per recipient."""
