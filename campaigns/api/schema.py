"""OpenAPI for the lead API: the Api-Key scheme and an example of every status and reason code."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from campaigns.api import serializers as s
from campaigns.services.intake import BULK_MAX_ITEMS, REASONS


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "campaigns.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "Supplier key, sent as `Authorization: Api-Key <key>`. Missing, unknown or revoked: "
                           "401 with `WWW-Authenticate: Api-Key`. Key of an inactive supplier: 403.",
        }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Up to 128 characters. Posting the same key again returns the first answer (status and body), "
                "never a second lead; so does the same `external_id`. A 400 answer does not claim the key. "
                "On the bulk endpoint item i uses `<key>:<i>`.",
)

DETAIL_DETAILS = {
    "invalid_contact": "Phone '12345' is not a valid number for country US.",
    "suppressed": "The lead's email address is on the suppression list.",
    "campaign_cap_reached": "The campaign's lead cap is reached; try again later.",
    "supplier_cap_reached": "The supplier's lead cap is reached; try again later.",
    "campaign_closed": "Campaign 'solar-us' is outside its office hours.",
    "not_allowed": "Supplier 'Acme Leads' may not post to campaign 'solar-us'.",
    "consent_missing": "Campaign 'solar-us' requires the lead's consent: send \"consent\" with at least text and "
                       "given_at.",
    "consent_too_old": "The consent was given on 2026-09-01; campaign 'solar-us' accepts consent up to 30 days old.",
}
REJECTED_EXAMPLES = [
    OpenApiExample(reason, value={"status": "rejected", "reason": reason, "detail": DETAIL_DETAILS[reason]},
                   status_codes=["422"], response_only=True, description=REASONS[reason])
    for reason in REASONS
]
REQUEST_EXAMPLE = OpenApiExample(
    "A lead", request_only=True,
    value={"campaign": "solar-us", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
           "phone": "+1 415 555 0100", "country": "US", "region": "CA", "postal_code": "94105", "language": "en",
           "skill": "solar", "external_id": "acme-000123", "fields": {"roof": "south", "budget": 12000}},
)
LEAD_RESPONSES = {
    201: OpenApiResponse(s.LeadAcceptedSerializer, "Accepted (also when held until the campaign opens).",
                         [OpenApiExample("accepted", value={"id": 1042, "status": "accepted"},
                                         status_codes=["201"], response_only=True)]),
    400: OpenApiResponse(s.ErrorsSerializer, "Malformed JSON, missing, unknown or oversized fields, unknown "
                                             "campaign, a missing required field of the campaign.",
                         [OpenApiExample("missing and unknown fields", status_codes=["400"], response_only=True,
                                         value={"errors": {"phone": ["This field is required."],
                                                           "nickname": ["Unknown field. Put extra answers in "
                                                                        "\"fields\"."]}}),
                          OpenApiExample("unknown campaign", status_codes=["400"], response_only=True,
                                         value={"errors": {"campaign": ["Unknown campaign 'solar-xx'."]}}),
                          OpenApiExample("malformed JSON", status_codes=["400"], response_only=True,
                                         value={"errors": {"body": ["JSON parse error - Expecting value: line 1 "
                                                                    "column 1 (char 0)"]},
                                                "detail": "JSON parse error - Expecting value: line 1 column 1 "
                                                          "(char 0)"})]),
    401: OpenApiResponse(s.DetailSerializer, "No, unknown or revoked key.",
                         [OpenApiExample("revoked", value={"detail": "This API key has been revoked."},
                                         status_codes=["401"], response_only=True)]),
    403: OpenApiResponse(s.DetailSerializer, "The supplier is inactive.",
                         [OpenApiExample("inactive", value={"detail": "This supplier account is inactive."},
                                         status_codes=["403"], response_only=True)]),
    409: OpenApiResponse(s.LeadDuplicateSerializer, "Same phone or email as a lead of the campaign within its "
                                                    "dedup window (or the same external_id as an earlier lead).",
                         [OpenApiExample("duplicate", value={"status": "duplicate", "duplicate_of": 1042},
                                         status_codes=["409"], response_only=True)]),
    411: OpenApiResponse(s.DetailSerializer, "A chunked body without Content-Length.",
                         [OpenApiExample("length", status_codes=["411"], response_only=True, value={
                             "detail": "Send the body with a Content-Length header (chunked bodies are not read)."})]),
    413: OpenApiResponse(s.DetailSerializer, "Body over 64 KiB (single) or the server's limit (bulk, 2 MiB).",
                         [OpenApiExample("too large", status_codes=["413"], response_only=True,
                                         value={"detail": "Request body too large: at most 65536 bytes here."})]),
    415: OpenApiResponse(s.DetailSerializer, "Content-Type is not application/json.",
                         [OpenApiExample("media type", status_codes=["415"], response_only=True,
                                         value={"detail": "Unsupported media type \"text/plain\" in request."})]),
    422: OpenApiResponse(s.LeadRejectedSerializer, "Refused by a business rule; `reason` says which.",
                         REJECTED_EXAMPLES),
    429: OpenApiResponse(s.DetailSerializer, "Over the key's requests per second; see the Retry-After header.",
                         [OpenApiExample("throttled", status_codes=["429"], response_only=True,
                                         value={"detail": "Request was throttled. Expected available in 1 second."})]),
}
BULK_RESPONSES = {
    200: OpenApiResponse(s.BulkResultSerializer, "One result per lead, in order, each as the single endpoint "
                                                 "would answer it.",
                         [OpenApiExample("mixed", status_codes=["200"], response_only=True, value={"results": [
                             {"index": 0, "status_code": 201, "id": 1043, "status": "accepted"},
                             {"index": 1, "status_code": 409, "status": "duplicate", "duplicate_of": 1043},
                             {"index": 2, "status_code": 422, "status": "rejected", "reason": "suppressed",
                              "detail": "The lead's phone number is on the suppression list."},
                             {"index": 3, "status_code": 400, "errors": {"country": [
                                 "'USA' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]}},
                         ]})]),
    400: OpenApiResponse(s.ErrorsSerializer, f"Not a list, empty, or more than {BULK_MAX_ITEMS} leads.",
                         [OpenApiExample("too many", status_codes=["400"], response_only=True, value={
                             "errors": {"leads": [f"At most {BULK_MAX_ITEMS} leads per request, got 1001."]}})]),
    **{code: LEAD_RESPONSES[code] for code in (401, 403, 411, 413, 415, 429)},
}


ANSWERS_DESCRIPTION = (
    "The lead took a further action (a second form, a survey): merge its answers into the lead's `fields`. "
    "Only `fields` may be sent. Every call is written to the intake log as \"answers added\"; supplier reports "
    "count posted leads only."
)
ANSWERS_RESPONSES = {
    200: OpenApiResponse(s.LeadReadSerializer, description="The lead, its `fields` holding the merged answers."),
    400: OpenApiResponse(s.ErrorsSerializer, description="Not {\"fields\": {...}}, or over the intake limits."),
    404: OpenApiResponse(s.DetailSerializer, description="Not your lead, or no such lead."),
    409: OpenApiResponse(s.DetailSerializer, description="code lead_closed: the lead is won, lost or sold."),
}
