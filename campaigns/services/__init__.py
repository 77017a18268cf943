"""Every write of the lead market; import from here, not from the submodules."""

from campaigns.services.caps import caps_claim
from campaigns.services.intake import (
    IntakeResult,
    intake_invalid_record,
    lead_intake,
    leads_routing_enqueue,
)
from campaigns.services.intake_bulk import BulkIntakeResult, lead_intake_bulk
from campaigns.services.key_usage import supplier_api_key_touch
from campaigns.services.keys import ApiKeyCreated, supplier_api_key_create, supplier_api_key_revoke
from campaigns.services.normalise import suppression_value_normalise
from campaigns.services.webhooks import (
    lead_status_webhook_enqueue,
    webhook_deliveries_due_enqueue,
    webhook_delivery_attempt,
    webhook_signature,
)

__all__ = ["ApiKeyCreated", "supplier_api_key_create", "supplier_api_key_revoke"]
__all__ += [
    "BulkIntakeResult", "IntakeResult", "caps_claim", "intake_invalid_record", "lead_intake", "lead_intake_bulk",
    "leads_routing_enqueue", "lead_status_webhook_enqueue", "supplier_api_key_touch",
    "suppression_value_normalise",
    "webhook_deliveries_due_enqueue", "webhook_delivery_attempt", "webhook_signature",
]
