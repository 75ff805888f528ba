"""This week's draft, composed at NOW from the feeds the pipeline tests' runtime collected
(tests/pipeline/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from digest import pipeline
from digest.pipeline import editor_actions

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def compose(rt: pipeline.Runtime) -> editor_actions.EditorIssue:
    """This week's draft of the list "weekly", as the editor's page shows it."""
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None
    return editor_actions.editor_issue(rt, ref.id)
