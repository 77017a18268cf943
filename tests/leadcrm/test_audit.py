"""Who changed a supplier's key or a rep's status, and when (admin edits are Django's own LogEntry rows)."""

import pytest
from django.contrib.admin.models import LogEntry

from tests.factories import RepFactory, SupplierFactory, supplier_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_key_actions_and_rep_status_changes_are_in_the_audit_log(signed_in, manager):
    supplier = SupplierFactory(name="Acme")
    signed_in.post("/admin/campaigns/supplier/", {"action": "create_api_key", "_selected_action": [supplier.pk]})
    _, _ = supplier_with_key(name="Other")
    key = supplier.api_keys.get()
    signed_in.post("/admin/campaigns/supplierapikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})
    rep = RepFactory()
    signed_in.post("/admin/assignments/rep/", {"action": "set_away", "_selected_action": [rep.pk]})
    messages = list(LogEntry.objects.filter(user=manager).values_list("object_repr", "change_message"))
    texts = " | ".join(message for _, message in messages)
    assert f"Created API key {key.prefix}" in texts and f"Revoked API key {key.prefix}" in texts
    assert "Status set to Away" in texts
    log = signed_in.get("/admin/admin/logentry/")
    assert log.status_code == 200 and b"Revoked API key" in log.content


def test_audit_log_is_read_only(signed_in):
    assert signed_in.get("/admin/admin/logentry/add/").status_code == 403
