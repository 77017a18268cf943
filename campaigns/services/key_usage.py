"""Keeping a supplier API key's last use current without a write on every request."""

from django.utils.timezone import now

from campaigns.models import SupplierApiKey
from campaigns.selectors import api_key_touch_due


def supplier_api_key_touch(*, key: SupplierApiKey, every_seconds: int = 60) -> bool:
    """Set last_used_at to now when it is older than every_seconds; returns whether it wrote."""
    if not api_key_touch_due(key=key, every_seconds=every_seconds):
        return False
    at = now()
    SupplierApiKey.objects.filter(pk=key.pk).update(last_used_at=at)
    key.last_used_at = at
    return True
