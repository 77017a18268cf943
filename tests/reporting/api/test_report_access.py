"""Every report endpoint (/api/v1/reports/<name>/): 400 with the errors of a bad common filter, for sales managers
only (401 anonymous, 403 reps and supplier keys), and documented in the schema with its errors and the common
filters."""

import pytest
import yaml
from rest_framework.test import APIClient

from reporting.api.urls import urlpatterns

ENDPOINTS = [str(p.pattern).strip("/") for p in urlpatterns]
ERROR_DATE = "Enter a date (YYYY-MM-DD) or an ISO 8601 datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM])."


def url(name: str) -> str:
    return f"/api/v1/reports/{name}/"


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("query, errors", [
    ({"since": "yesterday"}, {"since": [ERROR_DATE]}),
    ({"since": "2026-03-10", "until": "2026-03-01"}, {"until": ["Must not be before since."]}),
    ({"tz": "Mars/Olympus"}, {"tz": ["'Mars/Olympus' is not a known time zone (use e.g. Europe/Berlin)."]}),
    ({"campaign": "nope"}, {"campaign": ["Select a valid choice. That choice is not one of the available "
                                         "choices."]}),
    ({"supplier": "999999"}, {"supplier": ["Select a valid choice. That choice is not one of the available "
                                           "choices."]}),
    ({"business_hours": "maybe"}, {"business_hours": ["Select a valid choice. maybe is not one of the available "
                                                      "choices."]}),
])
def test_bad_common_filters_are_400(manager_client, name, query, errors):
    response = manager_client.get(url(name), query)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_gets_401(db, name):
    assert APIClient().get(url(name)).status_code == 401


@pytest.mark.parametrize("name", ENDPOINTS)
def test_rep_gets_403(rep_user, name):
    client = APIClient()
    client.force_authenticate(rep_user)
    response = client.get(url(name))
    assert response.status_code == 403
    assert response.json() == {"detail": "Reports are for sales managers."}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_supplier_key_gets_403(supplier_key, name):
    response = APIClient().get(url(name), HTTP_AUTHORIZATION=f"Api-Key {supplier_key}")
    assert response.status_code == 403


def test_documented_in_the_schema(client, db):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    for name in ENDPOINTS:
        get = spec["paths"][url(name)]["get"]
        assert {"200", "400", "401", "403"} <= set(get["responses"])
        names = {p["name"] for p in get["parameters"]}
        assert {"since", "until", "campaign", "supplier", "team", "tz", "business_hours"} <= names
