"""The JSON API fuzzed from its own OpenAPI schema: as a signed-in analyst, every operation answers every
generated request without a server error, and with a body that matches the schema it publishes.

Schemathesis reads /openapi.json from the app, so every API route merged later is fuzzed too.
DELETE /api/session is left out: it signs the fuzzer's session out, and every request after it would
only test the 401. The sign-out itself is covered by the role matrix (test_web_roles.py).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from web_support import client_for, open_workspace, released_world

from harborlight.web.app import create_app
from harborlight.web.context import CSRF_HEADER, SESSION_COOKIE

EXAMPLES = 30  # per operation: about 30 operations once merged, so the file stays within a few minutes


@pytest.fixture(scope="module")
def analyst_session(networked_world, tmp_path_factory):
    """A workspace with a released network, and the analyst's session: (workspace, session token, CSRF token)."""
    workspace = open_workspace(networked_world, f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.sqlite'}")
    released_world(workspace)
    client = client_for(workspace, "analyst")
    yield workspace, client.cookies.get(SESSION_COOKIE), client.headers[CSRF_HEADER]
    workspace.close()


@pytest.fixture(scope="module")
def api_schema(analyst_session):
    workspace, _, _ = analyst_session
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(workspace=workspace))


def operations(api_schema) -> list:
    """Every operation of the schema but DELETE /api/session (it would sign the fuzzer out)."""
    found = [result.ok() for result in api_schema.get_all_operations()]
    return [op for op in found if not (op.method.upper() == "DELETE" and op.path == "/api/session")]


def test_every_api_operation_answers_without_a_server_error_and_as_its_schema_says(api_schema, analyst_session):
    # A loop over the operations, each fuzzed by Hypothesis, rather than schemathesis's pytest plugin: the
    # schema comes from a fixture (the app needs the world), and the plugin's lazy loading does not run
    # under this pytest. A failure names the operation and the request (Hypothesis prints the case).
    _, token, csrf = analyst_session
    fuzzed = operations(api_schema)
    assert any(op.path == "/api/me" for op in fuzzed), "the schema lists no operations"
    answered: dict[str, set[int]] = {}  # "METHOD path" -> the statuses it gave
    for operation in fuzzed:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])
        def answers_well(case):
            response = case.call(headers={CSRF_HEADER: csrf}, cookies={SESSION_COOKIE: token})
            answered.setdefault(f"{operation.method.upper()} {operation.path}", set()).add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        answers_well()
    # the requests were the analyst's: signed in, not refused as nobody's
    assert 200 in answered["GET /api/me"] and 401 not in answered["GET /api/me"]


def test_the_fuzzer_stays_signed_in(analyst_session):
    # The fuzzing above means something only if its requests were the analyst's, not refused as nobody's.
    workspace, token, csrf = analyst_session
    client = client_for(workspace)
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/api/me").json()["handle"] == "analyst"
