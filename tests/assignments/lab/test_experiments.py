"""A/B experiments on live traffic: each lead's variant is recorded and explained; ending promotes a variant."""

import datetime as dt

import pytest

from assignments import services
from assignments.lab import services as lab
from assignments.lab.experiments import variant_pick
from assignments.lab.selectors import experiment_variant_data
from assignments.models import Assignment, Experiment, ExperimentVariant, RoutingSnapshot
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2030, 3, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def experiment():
    """Rule 'Everyone' (round robin) with A = the rule as is, B = least busy over the 'Closers' team only."""
    floor, closers = TeamFactory(name="Floor"), TeamFactory(name="Closers")
    RepFactory(teams=[floor], capacity=100)
    RepFactory(teams=[floor, closers], capacity=100)
    rule = RoutingRuleFactory(name="Everyone", strategy="round_robin")
    rule.teams.add(floor)
    exp = Experiment.objects.create(name="Least busy closers", rule=rule)
    ExperimentVariant.objects.create(experiment=exp, name="A", share=50)
    b = ExperimentVariant.objects.create(experiment=exp, name="B", share=50, strategy="least_busy")
    b.teams.add(closers)
    return exp


def test_each_lead_records_its_stable_variant_and_the_explanation_says_so(experiment):
    a, b = experiment.variants.order_by("name")
    closer = b.teams.get().reps.get()
    for n in range(30):
        lead = LeadFactory()
        services.lead_route(lead_id=lead.pk, now=T0 + dt.timedelta(seconds=n))
        expected = variant_pick(lead_id=lead.pk, experiment_id=experiment.pk, shares=[(a.pk, 50), (b.pk, 50)])
        offer = Assignment.objects.get(lead=lead)
        snapshot = RoutingSnapshot.objects.get(lead=lead)
        assert offer.variant_id == snapshot.variant_id == expected
        assert offer.explanation["experiment"] == {"id": experiment.pk, "name": "Least busy closers",
                                                   "variant_id": expected, "variant": "B" if expected == b.pk else "A"}
        assert offer.explanation["summary"].endswith(
            f"Experiment 'Least busy closers': variant {'B' if expected == b.pk else 'A'}.")
        if expected == b.pk:
            assert offer.explanation["strategy"] == "least_busy" and offer.rep == closer
        else:
            assert offer.explanation["strategy"] == "round_robin"
    assert set(Assignment.objects.values_list("variant_id", flat=True)) == {a.pk, b.pk}


def test_variant_metrics_count_each_lead_once_with_its_outcome(experiment):
    a, b = experiment.variants.order_by("name")
    received = T0
    for n, (variant, contact_after, outcome) in enumerate([
        (a, 60, "won"), (a, 600, ""), (a, None, ""), (b, 30, "won"), (b, 120, "won"),
    ]):
        lead = LeadFactory(received_at=received, outcome=outcome,
                           first_contact_at=None if contact_after is None else received + dt.timedelta(
                               seconds=contact_after))
        RoutingSnapshot.objects.create(lead=lead, decided_at=received, first=True, action="offer", variant=variant,
                                       lead_facts={"id": lead.pk})
        if n == 0:  # a later decision of the same lead does not count twice
            RoutingSnapshot.objects.create(lead=lead, decided_at=received, action="offer", variant=variant,
                                           lead_facts={"id": lead.pk})
    data = {v.name: v for v in experiment_variant_data(experiment=experiment)}
    assert (data["A"].leads, data["A"].contacted, data["A"].converted, data["A"].fast) == (3, 2, 1, 1)
    assert data["A"].speeds == (60.0, 600.0)
    assert (data["B"].leads, data["B"].contacted, data["B"].converted, data["B"].fast) == (2, 2, 2, 2)


def test_ending_an_experiment_promotes_the_chosen_variant(experiment):
    b = experiment.variants.get(name="B")
    rule = lab.experiment_end(experiment=experiment, variant=b)
    experiment.refresh_from_db()
    assert experiment.status == "ended" and experiment.winner == b and experiment.ended_at is not None
    assert rule.strategy == "least_busy" and list(rule.teams.values_list("name", flat=True)) == ["Closers"]
    assert rule.require_language is True  # left empty on the variant: unchanged
    lead = LeadFactory()
    services.lead_route(lead_id=lead.pk)
    offer = Assignment.objects.get(lead=lead)
    assert offer.variant is None and "experiment" not in offer.explanation
    with pytest.raises(lab.LabError, match="already ended"):
        lab.experiment_end(experiment=experiment, variant=b)


def test_a_variant_of_another_experiment_is_refused(experiment):
    other = Experiment.objects.create(name="Other", rule=RoutingRuleFactory())
    stranger = ExperimentVariant.objects.create(experiment=other, name="X", share=100)
    with pytest.raises(lab.LabError, match="belongs to another experiment"):
        lab.experiment_end(experiment=experiment, variant=stranger)
    experiment.refresh_from_db()
    assert experiment.status == "running"
