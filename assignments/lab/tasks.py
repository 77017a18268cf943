"""django-q2 entry points of the routing lab; each calls one service and is safe to deliver twice."""

from assignments.lab import services


def replay_run_task(run_id: int) -> str:
    """Replay the next chunk of a run (the service queues the chunk after it)."""
    return services.replay_run_step(run_id=run_id)
