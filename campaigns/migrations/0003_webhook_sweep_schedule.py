"""Every 5 minutes, re-queue webhook deliveries whose task a broker lost (the Redis broker has no receipts)."""

from django.db import migrations

NAME = "Webhook deliveries: re-queue overdue"
FUNC = "campaigns.tasks.webhook_deliver_due_task"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(func=FUNC, defaults={"name": NAME, "schedule_type": "I", "minutes": 5,
                                                        "repeats": -1})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_intake_webhooks"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(add_schedule, remove_schedule)]
