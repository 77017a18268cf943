"""Once a day, apply the retention settings (assignments.services.retention)."""

from django.db import migrations

FUNC = "assignments.tasks.retention_task"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(func=FUNC, defaults={
        "name": "Retention (anonymise old closed leads, prune snapshots, outbox, intake log)", "schedule_type": "D",
        "repeats": -1,
    })


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [("assignments", "0013_open_pool"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(add_schedule, remove_schedule)]
