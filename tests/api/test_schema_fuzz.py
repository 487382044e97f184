"""Schema-driven fuzzing: schemathesis reads the live OpenAPI schema from a running
server and sends generated requests to every operation with a valid token. No answer
may be a 5xx, and every answer must match the schema (status, content type, body,
headers). Not checked: that every schema-valid request is accepted, since some inputs
are refused for what a schema cannot say (an opaque cursor that was never issued, an
upload whose content does not match its name), with a 400 in the error shape.
Bounded: a few examples per operation, no shrinking, well under a minute."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import positive_data_acceptance

from api.models import Scope
from api.services import token_create
from organizations.roles import Role
from tests.factories import add_member, make_org

EXAMPLES_PER_OPERATION = 15


@pytest.mark.timeout(180)
def test_every_operation_answers_within_its_schema(
    live_server: Any, site_tree: None, settings: Any
) -> None:
    settings.API_RATE_LIMIT = "100000/m"
    settings.DOCUMENT_UPLOAD_RATE = "100000/m"
    # One organization with its owner and a member (the fuzzer may change roles, remove
    # people, invite, upload, announce and delete: all as the owner's token).
    organization, owner = make_org("Alpha", "alpha")
    add_member(organization, Role.MEMBER, "member@alpha.example")
    token, _ = token_create(
        acting_user=owner, organization=organization, name="fuzz", scope=Scope.WRITE
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    failures: list[str] = []
    calls = 0
    started = time.monotonic()

    def fuzz(operation: Any) -> None:
        # The organization is fixed (otherwise almost every call is a 404); ids are
        # generated, so they mostly miss, which must be a 404 in the schema's shape.
        strategy = operation.as_strategy(path_parameters={"org_slug": organization.slug})

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            phases=[Phase.explicit, Phase.generate],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=live_server.url, headers=headers)
            try:
                case.validate_response(
                    response, headers=headers, excluded_checks=[positive_data_acceptance]
                )
            except (Exception, BaseExceptionGroup) as exc:  # collected: every operation is tried
                failures.append(f"{operation.label}: {str(exc)[:600]}")

        run()

    for operation in operations:
        fuzz(operation)
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {calls} calls to {len(operations)} operations in {elapsed:.1f} s")
    assert not failures, "\n\n".join(failures[:10])
