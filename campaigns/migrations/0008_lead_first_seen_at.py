# Reports read the first time a rep saw the lead from Lead itself; existing leads get the earliest seen_at of
# their offers, in batches of lead ids each committed on its own (no long lock over a big table).

from django.db import migrations, models, transaction
from django.db.models import Exists, OuterRef, Subquery

BATCH = 5000


def first_seen_backfill(apps, schema_editor):
    """Set Lead.first_seen_at = MIN(Assignment.seen_at) where it is still NULL; safe to run again."""
    Lead = apps.get_model("campaigns", "Lead")
    Assignment = apps.get_model("assignments", "Assignment")
    db = schema_editor.connection.alias
    seen = Assignment.objects.using(db).filter(lead=OuterRef("pk"), seen_at__isnull=False)
    first = Subquery(seen.order_by("seen_at").values("seen_at")[:1])
    bounds = Lead.objects.using(db).aggregate(low=models.Min("pk"), high=models.Max("pk"))
    if bounds["low"] is None:
        return
    for start in range(bounds["low"], bounds["high"] + 1, BATCH):
        with transaction.atomic(using=db):
            (Lead.objects.using(db).filter(pk__gte=start, pk__lt=start + BATCH, first_seen_at__isnull=True)
             .filter(Exists(seen)).update(first_seen_at=first))


class Migration(migrations.Migration):
    atomic = False  # each batch commits by itself

    dependencies = [
        ('campaigns', '0007_buyers_sweep_schedule'),
        ('assignments', '0005_assignment_lead_seen_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='first_seen_at',
            field=models.DateTimeField(blank=True, editable=False, help_text="First shown in any rep's browser (earliest offer seen_at).", null=True),
        ),
        migrations.RunPython(first_seen_backfill, migrations.RunPython.noop, elidable=True),
    ]
