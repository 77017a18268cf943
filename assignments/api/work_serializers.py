"""Shapes of the API for working a lead: notes, timeline, callbacks, stages, the rep's leads, reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assignments.models import Callback, LeadNote, ReasonCode
from assignments.models_work import CALLBACK_NOTE_MAX_LENGTH, NOTE_MAX_LENGTH
from assignments.selectors_work import next_action
from assignments.services.work import STAGES
from campaigns.models import Lead


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field[dt.datetime, str, str, Any]):
    """An ISO 8601 date and time that must carry its UTC offset (a naive time is ambiguous across zones)."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date and time, e.g. 2026-12-03T15:00:00+01:00.",
        "naive": "Give the UTC offset too, e.g. 2026-12-03T15:00:00+01:00 or ...Z.",
    }

    def to_internal_value(self, data: Any) -> dt.datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(data.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        return parsed

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


class NoteInSerializer(serializers.Serializer[dict[str, Any]]):
    text = serializers.CharField(min_length=1, max_length=NOTE_MAX_LENGTH, trim_whitespace=True)


class NoteSerializer(serializers.ModelSerializer[LeadNote]):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = LeadNote
        fields = ["id", "text", "author", "at"]


class CallbackInSerializer(serializers.Serializer[dict[str, Any]]):
    due_at = AwareDateTimeField()
    note = serializers.CharField(max_length=CALLBACK_NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class CallbackLeadSerializer(serializers.ModelSerializer[Lead]):
    name = serializers.CharField(source="full_name", read_only=True)
    campaign = serializers.CharField(source="campaign.slug", read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "status", "name", "campaign", "phone", "email"]


class CallbackSerializer(serializers.ModelSerializer[Callback]):
    lead = CallbackLeadSerializer(read_only=True)

    class Meta:
        model = Callback
        fields = ["id", "due_at", "note", "lead", "created_at", "done_at"]


class CallbackCreatedSerializer(serializers.ModelSerializer[Callback]):
    class Meta:
        model = Callback
        fields = ["id", "due_at", "note", "lead"]


class CallbackListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=["due", "upcoming", "done", ""], required=False, default="")


class StageInSerializer(serializers.Serializer[dict[str, Any]]):
    stage = serializers.ChoiceField(choices=list(STAGES))
    reason = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class WorkedLeadSerializer(serializers.ModelSerializer[Lead]):
    """A lead its owner works: the whole record but the supplier's secrets, plus what to do next."""

    name = serializers.CharField(source="full_name", read_only=True)
    campaign = serializers.CharField(source="campaign.slug", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    next_callback_at = serializers.DateTimeField(read_only=True, allow_null=True)
    contact_count = serializers.IntegerField(read_only=True)
    next_action = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = ["id", "status", "name", "first_name", "last_name", "phone", "email", "country", "region",
                  "postal_code", "language", "skill", "campaign", "campaign_name", "score", "received_at",
                  "accepted_at", "first_contact_at", "outcome", "next_callback_at", "contact_count", "next_action"]

    def get_next_action(self, lead: Lead) -> str:
        return next_action(lead, now=self.context["now"])


class ReasonSerializer(serializers.ModelSerializer[ReasonCode]):
    class Meta:
        model = ReasonCode
        fields = ["kind", "code", "label"]


class TimelineSerializer(serializers.Serializer[dict[str, Any]]):
    events = serializers.ListField(child=serializers.DictField())


class AssignInSerializer(serializers.Serializer[dict[str, Any]]):
    rep = serializers.CharField(max_length=150, help_text="The username of an active rep.")


class EraseInSerializer(serializers.Serializer[dict[str, Any]]):
    suppress = serializers.BooleanField(
        default=False, help_text="Also keep the person out of later intake (salted hashes of phone and email).")


class PersonQuerySerializer(serializers.Serializer[dict[str, Any]]):
    email = serializers.CharField(required=False, default="", allow_blank=True, max_length=254,
                                  help_text="The person's email (any case).")
    phone = serializers.CharField(required=False, default="", allow_blank=True, max_length=32,
                                  help_text="The person's phone, with its +country code.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["email"].strip() and not attrs["phone"].strip():
            raise serializers.ValidationError("Give the person's email or phone.")
        return attrs


class PersonExportSerializer(serializers.Serializer[dict[str, Any]]):
    query = serializers.DictField()
    exported_at = serializers.DateTimeField()
    leads = serializers.ListField(child=serializers.DictField(), help_text=(
        "Each lead with every stored field, its consent, intake log, timeline, buyer deliveries and webhooks."))
