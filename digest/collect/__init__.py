"""Collection: fetch sources (shell), parse feeds and extract articles (pure)."""
