"""Query filters of the lead list."""

import django_filters

from campaigns.models import Lead


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)
    campaign = django_filters.CharFilter(field_name="campaign__slug", help_text="Campaign slug.")
    created_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte",
                                                     help_text="ISO 8601; received at or after.")
    created_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt",
                                                      help_text="ISO 8601; received before.")
    external_id = django_filters.CharFilter(field_name="external_id")

    class Meta:
        model = Lead
        fields = ["status", "campaign", "created_after", "created_before", "external_id"]
