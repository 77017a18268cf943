"""Shapes of the reps' API."""

from __future__ import annotations

from rest_framework import serializers

from assignments.models import Assignment, ContactAttempt, Rep
from campaigns.models import Campaign


class AssignmentLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    name = serializers.CharField(source="full_name")
    campaign: serializers.SlugRelatedField[Campaign] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    language = serializers.CharField()
    country = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    skill = serializers.CharField()
    received_at = serializers.DateTimeField()


class AssignmentContactSerializer(AssignmentLeadSerializer):
    """The lead with contact details: only for the rep who accepted it."""

    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    first_contact_at = serializers.DateTimeField()


class AssignmentSerializer(serializers.ModelSerializer):
    lead = serializers.SerializerMethodField()
    rep = serializers.CharField(source="rep.user.username", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "status", "lead", "rep", "offered_at", "expires_at", "responded_at", "seen_at",
                  "decline_reason", "broadcast"]

    def get_lead(self, assignment: Assignment) -> dict:
        owned = assignment.status in (Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED)
        serializer = AssignmentContactSerializer if owned else AssignmentLeadSerializer
        return serializer(assignment.lead).data


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ContactSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ContactAttempt.Channel.choices)
    outcome = serializers.ChoiceField(choices=ContactAttempt.Outcome.choices)
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ContactAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactAttempt
        fields = ["id", "assignment", "channel", "outcome", "notes", "at"]


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("won", "Won"), ("lost", "Lost")])


class MeSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    status = serializers.ChoiceField(choices=Rep.Status.choices)

    class Meta:
        model = Rep
        fields = ["username", "status", "capacity", "load", "timezone", "conversion_rate",
                  "median_response_seconds"]
        read_only_fields = ["capacity", "load", "timezone", "conversion_rate", "median_response_seconds"]
