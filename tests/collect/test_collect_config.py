"""The collection keys of config.yaml: wrong values stop digest with the key to fix."""

from __future__ import annotations

from typing import Any

import pytest

from digest.errors import ConfigError


def test_a_broken_css_selector_names_the_source_key(write_config: Any) -> None:
    source = {"name": "Desk", "url": "https://desk.example.org/feed/", "selector": "div..x["}
    with pytest.raises(ConfigError) as error:
        write_config({"sources": [source]})
    assert "sources[0].selector: expected a CSS selector such as 'div.entry-content'" in str(
        error.value
    )


def test_a_malformed_network_in_allow_private_hosts_is_refused(write_config: Any) -> None:
    with pytest.raises(ConfigError, match=r"collect\.allow_private_hosts: expected a host name"):
        write_config({"collect": {"allow_private_hosts": ["10.0.0.0/33"]}})


def test_the_collection_keys_have_defaults_and_take_values(write_config: Any) -> None:
    settings = write_config(
        {
            "collect": {"allow_private_hosts": [" Intranet.Example.org ", "10.0.0.0/8"]},
            "sources": [{"name": "D", "url": "https://d.example.org/", "selector": "article p"}],
        }
    )
    collect = settings.collect
    assert collect.allow_private_hosts == ["intranet.example.org", "10.0.0.0/8"]
    assert (collect.per_host_concurrency, collect.failing_after, collect.deadline_seconds) == (
        2,
        3,
        60.0,
    )
    assert settings.sources[0].selector == "article p"


@pytest.mark.parametrize("key", ["name", "region"])
def test_a_source_name_or_region_longer_than_its_column_is_refused(
    write_config: Any, key: str
) -> None:
    # sources.name and sources.region are String(200): PostgreSQL would refuse the row.
    source = {"name": "Desk", "url": "https://desk.example.org/feed/", key: "x" * 201}
    with pytest.raises(ConfigError) as error:
        write_config({"sources": [source]})
    assert f"sources[0].{key}:" in str(error.value) and "200" in str(error.value)


def test_pages_dir_is_only_for_file_sources(write_config: Any) -> None:
    source = {"name": "Desk", "url": "https://desk.example.org/feed/", "pages_dir": "pages"}
    with pytest.raises(ConfigError, match=r"sources\[0\]: .*pages_dir: only for file sources"):
        write_config({"sources": [source]})


def test_the_feed_bounds_have_defaults_and_take_values(write_config: Any) -> None:
    collect = write_config().collect
    assert (collect.max_entries, collect.parse_timeout_seconds, collect.parse_memory_mb) == (
        1000,
        20.0,
        512,
    )
    changed = {"max_entries": 50, "parse_timeout_seconds": 2.5, "parse_memory_mb": 64}
    collect = write_config({"collect": changed}).collect
    assert (collect.max_entries, collect.parse_timeout_seconds, collect.parse_memory_mb) == (
        50,
        2.5,
        64,
    )
    with pytest.raises(ConfigError, match=r"collect\.max_entries"):
        write_config({"collect": {"max_entries": 0}})
