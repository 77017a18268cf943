"""django-q2 entry points of lead imports: load ids, call one service."""

from campaigns.services import lead_import


def lead_import_check_task(lead_import_id: int) -> str:
    """Run an import's dry run (a no-op unless it is being checked)."""
    checked = lead_import.lead_import_check(lead_import_id=lead_import_id)
    return f"{checked.status}: {checked.preview_totals}"


def lead_import_run_task(lead_import_id: int) -> str:
    """Take the import's next rows through intake; queues the next run itself until every row is done."""
    run = lead_import.lead_import_run(lead_import_id=lead_import_id)
    return f"{run.status}: {run.done}/{run.total}"
