"""Every write of the lead market; import from here, not from the submodules."""

from campaigns.services.keys import ApiKeyCreated, supplier_api_key_create, supplier_api_key_revoke

__all__ = ["ApiKeyCreated", "supplier_api_key_create", "supplier_api_key_revoke"]
