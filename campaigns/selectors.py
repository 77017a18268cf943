"""Reads of the lead market shaped for their callers."""

from django.utils.timezone import now

from campaigns.models import SupplierApiKey, hash_api_key


def supplier_api_key_lookup(*, raw_key: str) -> SupplierApiKey | None:
    """The key row for a raw key, with its supplier, or None when unknown (revoked keys are returned)."""
    if not raw_key or len(raw_key) > 200:
        return None
    return (SupplierApiKey.objects.select_related("supplier")
            .filter(key_hash=hash_api_key(raw_key)).first())


def api_key_touch_due(*, key: SupplierApiKey, every_seconds: int = 60) -> bool:
    """Whether last_used_at is stale enough to be worth a write (keeps intake off a hot row)."""
    return key.last_used_at is None or (now() - key.last_used_at).total_seconds() >= every_seconds
