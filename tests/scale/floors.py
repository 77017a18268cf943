"""Sales floors the scale tests race on."""

from assignments.models import Rep
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory, SupplierFactory


def least_busy_floor(*, reps: int, capacity: int, leads: int) -> tuple[list[Rep], list[int]]:
    """One least-busy rule for everyone, `reps` reps of `capacity`, and `leads` new leads of one campaign and
    supplier: the reps, and the leads' ids in order of creation."""
    RoutingRuleFactory(name="Everyone", strategy="least_busy")
    floor_reps = [RepFactory(capacity=capacity) for _ in range(reps)]
    campaign, supplier = CampaignFactory(), SupplierFactory()
    return floor_reps, [LeadFactory(campaign=campaign, supplier=supplier).pk for _ in range(leads)]
