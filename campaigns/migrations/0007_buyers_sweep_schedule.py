"""Every minute, hand due leads to buyers and re-queue lost distribution runs: the backstop of the floor clock."""

from django.db import migrations

NAME = "Buyers: hand over due leads, re-queue lost runs"
FUNC = "campaigns.tasks_buyers.buyers_release_task"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(func=FUNC, defaults={"name": NAME, "schedule_type": "I", "minutes": 1,
                                                        "repeats": -1})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_buyers"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(add_schedule, remove_schedule)]
