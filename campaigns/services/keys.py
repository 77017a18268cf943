"""Supplier API keys: created with the raw key shown once, stored hashed, revocable."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.timezone import now

from campaigns.models import Supplier, SupplierApiKey, hash_api_key

KEY_PREFIX_CHARS = 8


@dataclass(frozen=True)
class ApiKeyCreated:
    key: SupplierApiKey
    raw_key: str  # shown to the manager once; never stored


def supplier_api_key_create(*, supplier: Supplier, name: str = "", raw_key: str | None = None) -> ApiKeyCreated:
    """Make a new key for the supplier; the raw key is returned here and nowhere else.

    raw_key lets seed data keep a stable key across runs; it must be long and random in production.
    """
    if raw_key is None:
        raw_key = f"lcrm_{secrets.token_urlsafe(32)}"
    prefix = raw_key[: len("lcrm_") + KEY_PREFIX_CHARS] if raw_key.startswith("lcrm_") else raw_key[:KEY_PREFIX_CHARS]
    key = SupplierApiKey.objects.create(supplier=supplier, name=name, prefix=prefix, key_hash=hash_api_key(raw_key))
    return ApiKeyCreated(key=key, raw_key=raw_key)


@transaction.atomic
def supplier_api_key_revoke(*, key: SupplierApiKey) -> SupplierApiKey:
    """Revoke the key from now on (idempotent: an already revoked key keeps its time)."""
    SupplierApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now())
    key.refresh_from_db(fields=["revoked_at"])
    return key
