"""Supplier API keys as DRF authentication: `Authorization: Api-Key <key>`."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from campaigns.models import Supplier, SupplierApiKey
from campaigns.selectors import supplier_api_key_lookup
from campaigns.services import supplier_api_key_touch

SCHEME = "Api-Key"


class SupplierPrincipal:
    """request.user for a request made with a supplier key: authenticated, never staff, never a rep."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, key: SupplierApiKey):
        self.key = key
        self.supplier: Supplier = key.supplier

    @property
    def username(self) -> str:
        return f"supplier:{self.supplier.pk}"

    def __str__(self) -> str:
        return f"{self.supplier} (key {self.key.prefix}…)"


class ApiKeyAuthentication(BaseAuthentication):
    """Unknown or revoked key: 401 (WWW-Authenticate: Api-Key); key of an inactive supplier: 403."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != SCHEME.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(f"Invalid {SCHEME} header: send 'Authorization: {SCHEME} <key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Unknown API key.") from None
        key = supplier_api_key_lookup(raw_key=raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if not key.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if not key.supplier.active:
            raise exceptions.PermissionDenied("This supplier account is inactive.")
        supplier_api_key_touch(key=key)
        return SupplierPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return SCHEME
