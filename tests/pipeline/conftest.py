"""A collected runtime for the editor's work on a draft: the two regional feeds of the test
HTTP server (each its region), collected at NOW."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digest import pipeline
from digest.config import Settings
from tests.pipeline.drafts import NOW
from tests.servers import FixtureHTTPServer


@pytest.fixture
def settings(write_config, http_server: FixtureHTTPServer) -> Settings:  # type: ignore[no-untyped-def]
    return write_config(
        {
            "sources": [
                {
                    "name": "North",
                    "url": http_server.url("/feeds/northern-africa.xml"),
                    "region": "Northern Africa",
                },
                {
                    "name": "West",
                    "url": http_server.url("/feeds/west-africa.atom"),
                    "region": "West Africa",
                },
            ]
        }
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    with pipeline.runtime(settings, NOW) as runtime:
        pipeline.collect(runtime, NOW)
        yield runtime
