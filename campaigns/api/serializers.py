"""Shapes of the lead API: what a supplier posts (documented; validated by the intake service) and what is read."""

from rest_framework import serializers

from campaigns.models import Campaign, Lead
from campaigns.services.intake import BULK_MAX_ITEMS, REASONS
from campaigns.services.normalise import (
    FIELDS_MAX_BYTES,
    FIELDS_MAX_KEYS,
    ISO_3166_ALPHA2,
    STRING_FIELDS,
    max_length_of,
)

_HELP = {
    "campaign": "Slug of the campaign. Unknown slug: 400.",
    "first_name": "Kept verbatim (Unicode, HTML included; escaped wherever it is shown).",
    "last_name": "Kept verbatim.",
    "email": "Lower-cased; invalid syntax is refused with 422 invalid_contact.",
    "phone": "Any format; stored as E.164, read with `country` as the default region. "
             "Not a real number: 422 invalid_contact.",
    "country": f"ISO 3166-1 alpha-2 ({len(ISO_3166_ALPHA2)} codes), any case.",
    "region": "Region or state.",
    "postal_code": "Postal code.",
    "language": "ISO 639-1, any case.",
    "skill": "Slug of what the lead asks for.",
    "external_id": "The supplier's own id: posting it again returns the first answer, never a second lead.",
}


LeadIntakeSerializer = type("LeadIntakeSerializer", (serializers.Serializer,), {
    "__doc__": "One lead as posted (schema only: the intake service applies these rules and the campaign's "
               "required fields).",
    "__module__": __name__,
    **{name: serializers.CharField(max_length=max_length_of(name), required=name == "campaign",
                                   allow_blank=name != "campaign", allow_null=name != "campaign",
                                   help_text=_HELP[name])
       for name in STRING_FIELDS},
    "fields": serializers.DictField(
        required=False, allow_null=True,
        help_text=f"Extra answers: at most {FIELDS_MAX_KEYS} keys and {FIELDS_MAX_BYTES} bytes of JSON; values are "
                  "text, numbers, true/false, null or short lists of those.",
    ),
})


class LeadAnswersSerializer(serializers.Serializer):
    fields = serializers.DictField(  # type: ignore[assignment]  # the API's key; see ErrorsSerializer
        help_text=f"Answers to merge into the lead's `fields`: a key sent again takes the new value. The intake "
                  f"limits apply to the merged whole ({FIELDS_MAX_KEYS} keys, {FIELDS_MAX_BYTES} bytes of JSON).")


class LeadBulkIntakeSerializer(serializers.Serializer):
    leads = serializers.ListField(child=LeadIntakeSerializer(), max_length=BULK_MAX_ITEMS,
                                  help_text=f"1 to {BULK_MAX_ITEMS} leads; a bare JSON list is accepted too.")


class LeadAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted"])


class LeadDuplicateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["duplicate"])
    duplicate_of = serializers.IntegerField(help_text="The earliest lead with the same phone or email.")


class LeadRejectedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["rejected"])
    reason = serializers.ChoiceField(choices=list(REASONS), help_text="; ".join(f"{k}: {v}" for k, v in
                                                                            REASONS.items()))
    detail = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    # The metaclass moves declared fields off the class, so this does not shadow Serializer.errors; the stubs
    # cannot know that, and the API's key is "errors".
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name (or Idempotency-Key, body, leads) -> messages.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status_code = serializers.IntegerField(help_text="201, 400, 409 or 422, as the single endpoint would answer.")
    id = serializers.IntegerField(required=False)
    status = serializers.CharField(required=False)
    duplicate_of = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)
    errors = serializers.DictField(required=False)  # type: ignore[assignment]  # as in ErrorsSerializer


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)


class LeadReadSerializer(serializers.ModelSerializer):
    """A lead as its reader may see it: external_id for suppliers and managers, assigned_rep for managers and
    the owning rep, the supplier's extra answers (`fields`) and consent record for all but a rep it is only offered
    to; `erased_at` once the person's data was erased."""

    campaign = serializers.SlugRelatedField[Campaign](slug_field="slug", read_only=True)
    external_id = serializers.CharField(read_only=True, required=False,
                                        help_text="Shown to the posting supplier and to managers.")
    assigned_rep = serializers.SerializerMethodField(
        help_text="Username of the rep who accepted the lead; shown to managers and that rep.")

    class Meta:
        model = Lead
        fields = ["id", "status", "campaign", "external_id", "received_at", "assigned_at", "accepted_at",
                  "first_contact_at", "assigned_rep", "fields", "consent", "erased_at"]
        read_only_fields = fields

    def get_assigned_rep(self, lead: Lead) -> str | None:
        return lead.owner.username if lead.owner is not None else None

    def to_representation(self, lead: Lead) -> dict:
        data = super().to_representation(lead)
        viewer = self.context.get("viewer", "supplier")
        user = self.context["request"].user
        if viewer == "supplier" or (viewer == "rep" and lead.owner_id != user.pk):
            data.pop("assigned_rep")
        if viewer == "rep" and lead.owner_id != user.pk:
            # A rep reads the answers and the consent once the lead is theirs, as its contact details.
            data.pop("fields")
            data.pop("consent")
        if viewer == "rep":
            data.pop("external_id")
        return data
