"""The floor's recurring django-q2 work: a per-minute backstop tick and hourly rep stats."""

from django.db import migrations

SCHEDULES = [
    # (name, func, minutes): the floor clock process expires offers each second; this is the backstop.
    ("Floor tick (expire offers, release held leads, reconcile, offer waiting leads)",
     "assignments.tasks.floor_tick_task", 1),
    ("Rep performance stats", "assignments.tasks.rep_stats_task", 60),
    ("Prune old outbox events", "assignments.tasks.outbox_prune_task", 60),
]


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.get_or_create(func=func, defaults={
            "name": name, "schedule_type": "I", "minutes": minutes, "repeats": -1,
        })


def remove_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(func__in=[func for _, func, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("assignments", "0002_outbox"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(add_schedules, remove_schedules)]
