"""The subscribers API against its own OpenAPI document (schemathesis), over real HTTP."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.subscribers.api_rig import KEY, RecordingMailer, api_settings, live_api

# Few examples per operation: the suite stays fast; the schema's shape is what is checked.
EXAMPLES = 8
# email-validator refuses special-use domains (.test, .local, .invalid…), which JSON Schema's
# "email" format cannot say; schemathesis generates them. The only schema-valid refusal allowed.
SPECIAL_USE = "is a special-use or reserved name that cannot be used with email"


@schemathesis.check
def schema_valid_data_is_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """positive_data_acceptance, but for the special-use domains of addresses."""
    if response.status_code == 422 and SPECIAL_USE in response.text:
        return None
    return positive_data_acceptance(ctx, response, case)


def test_every_operation_keeps_to_the_schema_it_serves(write_config) -> None:  # type: ignore[no-untyped-def]
    mailer = RecordingMailer()
    with live_api(api_settings(write_config), mailer) as client:
        # A reader to find, change and erase, besides what schemathesis makes up.
        client.post(
            "/api/subscriptions",
            json={"email": "ann@example.org", "list": "weekly", "consent": "Yes"},
        ).raise_for_status()
        schema = schemathesis.openapi.from_url(f"{client.base_url}/api/openapi.json")
        labels = []
        for result in schema.get_all_operations():
            operation = result.ok()
            labels.append(operation.label)
            check_operation(client, operation)
    assert sorted(labels) == [
        "DELETE /subscribers/{subscriber_id}",
        "GET /articles",
        "GET /subscribers",
        "GET /subscribers/{subscriber_id}",
        "GET /subscriptions",
        "GET /subscriptions/{subscription_id}",
        "PATCH /subscribers/{subscriber_id}",
        "POST /subscriptions",
        "POST /subscriptions/{subscription_id}/unsubscribe",
    ]


def check_operation(client: httpx.Client, operation: schemathesis.APIOperation) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=f"{client.base_url}/api",
            headers={"Authorization": f"Bearer {KEY}"},
            excluded_checks=[positive_data_acceptance],
            additional_checks=[schema_valid_data_is_accepted],
        )

    call()
