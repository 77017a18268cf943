# Reports: the first time a lead was shown to any rep (earliest seen_at per lead).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0004_rep_presence"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(fields=["lead", "seen_at"], name="assignment_lead_seen"),
        ),
    ]
