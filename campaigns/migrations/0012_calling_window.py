# Calling hours in the lead's local time: the campaign's calling window and the lead's derived time zone.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0011_intake_answers'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='calling_starts',
            field=models.TimeField(blank=True, help_text="Reps may call a lead from this time of day in the lead's local time (e.g. 08:00). Leave both calling times empty for no calling window.", null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='calling_ends',
            field=models.TimeField(blank=True, help_text="...until this time of day in the lead's local time (e.g. 21:00), later the same day. A lead whose time zone is unknown is taken to be in the campaign's time zone.", null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='outside_calling_hours',
            field=models.CharField(choices=[('hold', 'Hold the lead until calling opens in its time, then route it'), ('offer', 'Offer it at once, with calling disabled until the window opens')], default='hold', help_text='What happens to a lead that arrives (or is routed) outside the calling window in its time.', max_length=8),
        ),
        migrations.AddField(
            model_name='lead',
            name='timezone',
            field=models.CharField(blank=True, help_text='IANA zone derived at intake from the phone, region or postal code, or country (README: Calling hours). Blank: unknown.', max_length=64),
        ),
        migrations.AlterField(
            model_name='lead',
            name='status',
            field=models.CharField(choices=[('new', 'New (awaiting routing)'), ('held', 'Held (campaign closed, or outside calling hours)'), ('waiting', 'Waiting for a rep'), ('offered', 'Offered to a rep'), ('assigned', 'Accepted by a rep'), ('contacted', 'Contacted'), ('qualified', 'Qualified'), ('nurture', 'Nurture (later)'), ('unqualified', 'Unqualified'), ('won', 'Won'), ('lost', 'Lost'), ('sold', 'Sold to a buyer'), ('selling', 'With buyers (being sold)')], default='new', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('calling_ends__isnull', True), ('calling_starts__isnull', True)), models.Q(('calling_ends__isnull', False), ('calling_starts__isnull', False), ('calling_starts__lt', models.F('calling_ends'))), _connector='OR'), name='campaign_calling_window_valid'),
        ),
    ]
