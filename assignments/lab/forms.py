"""Forms of the routing lab: replay range, new draft, variant shares, ending an experiment."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.timezone import localdate

from assignments.lab.services import REPLAY_MAX_DAYS
from assignments.models import Experiment, ExperimentVariant, Ruleset


class ReplayForm(forms.Form):
    since = forms.DateField(label="From", help_text="First day (YYYY-MM-DD).")
    until = forms.DateField(label="To", help_text="Last day, inclusive.")
    seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=0, required=False,
                              help_text="Random strategies draw from this seed and each lead's id.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = localdate()
        self.fields["since"].initial = today - dt.timedelta(days=30)
        self.fields["until"].initial = today

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean() returns (typed `dict | None` by django-stubs)
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                raise ValidationError("The start date must be on or before the end date.")
            if (until - since).days >= REPLAY_MAX_DAYS:
                raise ValidationError(f"Replay at most {REPLAY_MAX_DAYS} days at a time.")
        cleaned["seed"] = cleaned.get("seed") or 0
        return cleaned


class RulesetAddForm(forms.ModelForm):
    copy_live = forms.BooleanField(label="Start from a copy of the live rules", initial=True, required=False)

    class Meta:
        model = Ruleset
        fields = ("name", "note")


class VariantFormSet(forms.BaseInlineFormSet):
    """An experiment needs two or more variants whose shares add up to 100."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise ValidationError("An experiment needs at least two variants (e.g. A = the rule as is, B = a change).")
        total = sum(f.cleaned_data.get("share") or 0 for f in kept)
        if total != 100:
            raise ValidationError(f"The variants' shares add up to {total}; they must add up to 100.")


class ExperimentEndForm(forms.Form):
    variant = forms.ModelChoiceField(queryset=ExperimentVariant.objects.none(), empty_label=None,
                                     help_text="Its settings are written into the rule.")

    def __init__(self, *args, experiment, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields is a dict[str, Field] to django-stubs; "variant" is the ModelChoiceField declared above.
        cast(forms.ModelChoiceField, self.fields["variant"]).queryset = experiment.variants.order_by("name", "id")


class ExperimentForm(forms.ModelForm):
    """One running experiment per rule (the database constraint, said in words before it is hit)."""

    class Meta:
        model = Experiment
        fields = ("name", "rule", "note")

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        running = Experiment.objects.filter(rule=rule, status=Experiment.Status.RUNNING).exclude(pk=self.instance.pk)
        if rule is not None and running.exists():
            raise ValidationError(f"Rule '{rule}' already runs experiment '{running.first()}'; end it first.")
        return rule
