"""digest: a newsletter digest builder for regional newsrooms."""

__version__ = "0.1.0"
