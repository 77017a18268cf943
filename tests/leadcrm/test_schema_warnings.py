"""The OpenAPI schema of the whole API generates with no warnings (names, enums, every view typed)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/leads/" in text and "/api/v1/assignments/{id}/accept/" in text
