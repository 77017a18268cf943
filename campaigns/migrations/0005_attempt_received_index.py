# Reports: intake attempts in a date range across every supplier and campaign.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0004_intake_lookup_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="intakeattempt",
            index=models.Index(fields=["received_at"], name="attempt_received"),
        ),
    ]
