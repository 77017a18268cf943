"""Shapes of the report rows, for the OpenAPI schema (the views return the selectors' dicts as they are)."""

from rest_framework import serializers


def _seconds(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


def _pct(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=f"{help_text} (percent, 2 decimals).")


def _money(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=f"{help_text} (2 decimals).")


class RowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The group: campaign slug, supplier name, username, team name, hour "
                                          "(00-23), weekday (Mon-Sun), bucket, rule id...")
    label = serializers.CharField(help_text="How the page names the group.")


class SpeedRowSerializer(RowSerializer):
    leads = serializers.IntegerField(help_text="Leads received in the range.")
    contacted = serializers.IntegerField(help_text="Leads with a first contact.")
    never_contacted_pct = _pct("Leads not contacted, of all leads")
    median_seconds = _seconds("Median received -> first contact (contacted leads).")
    p90_seconds = _seconds("90th percentile received -> first contact.")
    within_1_min_pct = _pct("Leads contacted within 60 s, of all leads")
    within_5_min_pct = _pct("Leads contacted within 5 min, of all leads")
    within_30_min_pct = _pct("Leads contacted within 30 min, of all leads")
    median_received_to_offered_seconds = _seconds("System delay: received -> first offered.")
    median_offered_to_seen_seconds = _seconds("System delay: first offered -> first shown in a rep's browser.")
    median_offered_to_accepted_seconds = _seconds("Human delay: first offered -> accepted.")
    median_accepted_to_contact_seconds = _seconds("Human delay: accepted -> first contact.")


class ConversionRowSerializer(RowSerializer):
    leads = serializers.IntegerField()
    won = serializers.IntegerField()
    won_rate_pct = _pct("Won leads, of the bucket's leads")


class SourceRowSerializer(RowSerializer):
    attempts = serializers.IntegerField(help_text="Intake attempts (each stored attempt once).")
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    invalid = serializers.IntegerField(help_text="Malformed posts (400).")
    rejected_by_reason = serializers.DictField(child=serializers.IntegerField(),
                                               help_text="Rejected attempts per reason code.")
    leads = serializers.IntegerField()
    contacted = serializers.IntegerField()
    won = serializers.IntegerField()
    contact_rate_pct = _pct("Contacted, of leads")
    conversion_rate_pct = _pct("Won, of leads")
    cost = _money("Sum of Lead.cost (supplier price copied at intake)")
    cost_per_lead = _money("cost / leads")
    cost_per_sale = _money("cost / won")
    revenue = _money("Sum of Lead.revenue")
    margin = _money("revenue - cost")
    margin_pct = _pct("margin, of revenue")


class RepRowSerializer(RowSerializer):
    offered = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    expired = serializers.IntegerField()
    revoked = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Offers still waiting for an answer.")
    acceptance_rate_pct = _pct("Accepted, of offered")
    median_response_seconds = _seconds("Median offered -> responded of accepted offers.")
    won = serializers.IntegerField(help_text="Leads owned by the rep and won.")
    load = serializers.IntegerField(allow_null=True, help_text="Open leads now.")
    capacity = serializers.IntegerField(allow_null=True)
    load_pct = _pct("load, of capacity")


class FairnessRowSerializer(RowSerializer):
    rule = serializers.CharField()
    rule_id = serializers.IntegerField()
    strategy = serializers.CharField()
    offers = serializers.IntegerField(help_text="Offers under the rule to this rep.")
    share_pct = _pct("The rep's share of the rule's offers")
    intended_pct = _pct("The share the strategy intends; null for performance-based strategies")
    difference_pct = _pct("share - intended")


class SlaRowSerializer(RowSerializer):
    offers = serializers.IntegerField()
    expired_offers = serializers.IntegerField()
    expired_pct = _pct("Expired, of offers")
    leads_offered = serializers.IntegerField(help_text="Leads first offered under the rule / team.")
    late_first_offers = serializers.IntegerField(help_text="Of those, offered after max_wait_seconds.")
    waiting_now = serializers.IntegerField(help_text="Leads not offered yet.")
    waiting_late = serializers.IntegerField(help_text="Of those, already waiting longer than max_wait_seconds.")
    late_leads = serializers.IntegerField()
    late_pct = _pct("Late leads, of leads offered or waiting")
    max_wait_seconds = serializers.IntegerField(allow_null=True, required=False, help_text="By rule only.")
    offer_timeout_seconds = serializers.IntegerField(allow_null=True, required=False, help_text="By rule only.")
    median_wait_seconds = _seconds("By rule only: median received -> first offered.")
    p90_wait_seconds = _seconds("By rule only: 90th percentile received -> first offered.")


def rows_of(row: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A {"rows": [row, ...]} response serializer."""
    return type(name, (serializers.Serializer,), {"rows": row(many=True)})


class ReportErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text='Per parameter, e.g. {"group_by": ["Select a valid choice. ..."]}.')
