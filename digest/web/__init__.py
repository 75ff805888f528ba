"""The web app: the editor's preview and approval, the public archive, a health check."""

from __future__ import annotations

from digest.web.app import create_app

__all__ = ["create_app"]
