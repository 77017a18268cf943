# Revenue counts only what was sold: intake no longer copies the campaign's price_per_lead onto every lead. A lead
# earns its buyer's price when sold (minus a return) and its campaign's price when a rep wins it; every other lead
# earns nothing. Sold and won leads keep what they have; the rest lose the price copied at intake. Not reversible
# in data (the old figure was wrong), so the reverse does nothing.

from django.db import migrations


def revenue_only_when_sold_or_won(apps, schema_editor):
    Lead = apps.get_model("campaigns", "Lead")
    Lead.objects.exclude(status__in=["sold", "won"]).exclude(revenue=0).update(revenue=0)


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0016_recycling"),
    ]

    operations = [
        migrations.RunPython(revenue_only_when_sold_or_won, migrations.RunPython.noop, elidable=True),
    ]
