"""Fixtures of the delivery tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery.scenario import Processes


@pytest.fixture
def processes(write_config: object) -> Iterator[Processes]:
    """Starts `digest` processes; kills any still running before the database is emptied
    (it depends on write_config, hence on database_url, so it is torn down first)."""
    started = Processes()
    yield started
    started.close()
