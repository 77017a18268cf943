"""OpenAPI: the Api-Key scheme, every status and reason code with an example, docs served without outside hosts."""

import re

import pytest
import yaml

from campaigns.services.intake import REASONS


@pytest.fixture
def spec(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_api_key_scheme(spec):
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": spec["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    assert {"ApiKey": []} in spec["paths"]["/api/v1/leads/"]["post"]["security"]


def test_intake_documents_every_status_and_reason(spec):
    post = spec["paths"]["/api/v1/leads/"]["post"]
    assert set(post["responses"]) == {"201", "400", "401", "403", "409", "411", "413", "415", "422",
                                      "429"}
    examples = post["responses"]["422"]["content"]["application/json"]["examples"]
    assert {example["value"]["reason"] for example in examples.values()} == set(REASONS)
    for code in ("201", "400", "409", "429"):
        assert post["responses"][code]["content"]["application/json"]["examples"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    bulk = spec["paths"]["/api/v1/leads/bulk/"]["post"]
    assert {"200", "400", "401", "403", "429"} <= set(bulk["responses"])


def test_read_endpoints_and_filters(spec):
    listed = spec["paths"]["/api/v1/leads/"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"status", "campaign", "created_after", "created_before",
                                                         "external_id", "page"}
    assert "/api/v1/leads/{id}/" in spec["paths"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_use_no_outside_hosts(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"""(?:src|href)\s*=\s*["']https?://""", html) == []
    assert "/static/drf_spectacular_sidecar/" in html
