"""Sign-up limits count an IPv6 client by its /64, as the sign-in throttle does.

The attack: 15 sign-ups from 2001:db8:1:2::1 ... ::f, one address each, all passed a limit of
10 per client (readers.subscribe_per_ip), so one IPv6 user could mail-bomb any number of
addresses: a home line holds a whole /64.
"""

from __future__ import annotations

import pytest

from subscribers.client_network import client_network
from tests.security.test_web_edges import (  # the fixtures, with their helpers
    LiveApp,
    app,  # noqa: F401
    settings,  # noqa: F401
    sign_ups,
    web_overrides,  # noqa: F401
)

ONE_LINE = [f"2001:db8:1:2::{i:x}" for i in range(1, 16)]


@pytest.mark.parametrize("web_overrides", [{"trusted_proxies": ["127.0.0.1"]}])
def test_addresses_of_one_ipv6_64_share_one_sign_up_limit(app: LiveApp) -> None:  # noqa: F811
    assert sign_ups(app, ONE_LINE) == [200] * 10 + [429] * 5


@pytest.mark.parametrize(
    ("host", "counted"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
    ],
)
def test_a_client_is_counted_by_its_address_or_its_64(host: str | None, counted: str) -> None:
    assert client_network(host) == counted
