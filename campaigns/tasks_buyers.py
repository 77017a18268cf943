"""django-q2 entry points of buyer distribution: load ids, call one service."""

from campaigns.buyers import services


def distribute_lead_task(lead_id: int) -> str:
    """Run the lead's buyer distribution once (a no-op when it is sold, finished, running elsewhere or not due)."""
    result = services.lead_distribute(lead_id=lead_id)
    return f"{result.action}: {result.reason}"[:500] if result.reason else result.action


def buyers_release_task() -> int:
    """Hand due leads to buyers and re-queue lost runs (the floor clock does this every 15 s; a backstop)."""
    return services.leads_to_buyers_release()
