"""Schemathesis against our own OpenAPI schema: generated requests never get a 500 or an off-schema response.

Bounded: a few examples per operation, for a supplier key and for a manager token.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from leadcrm.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [not_a_server_error, response_schema_conformance]
BOUNDED = settings(max_examples=8, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.filter_too_much, HealthCheck.data_too_large])


@pytest.fixture
def supplier_headers(db):
    from tests.factories import CampaignFactory, supplier_with_key

    _, key = supplier_with_key(campaigns=[CampaignFactory(slug="solar-us")], rate_limit_per_second=100_000)
    return {"Authorization": f"Api-Key {key}"}


@pytest.fixture
def manager_headers(manager):
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.create(user=manager).key}"}


@schema.include(path_regex="^/api/v1/leads").parametrize()
@BOUNDED
def test_supplier_api_never_fails_or_breaks_schema(case, supplier_headers):
    case.call_and_validate(headers=supplier_headers, checks=CHECKS)


@schema.exclude(path_regex="^/api/v1/(leads/bulk|auth)").parametrize()
@BOUNDED
def test_manager_api_never_fails_or_breaks_schema(case, manager_headers):
    case.call_and_validate(headers=manager_headers, checks=CHECKS)
