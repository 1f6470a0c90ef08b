# CaseEvent takes core.models.HistoryEvent's shape (a note, the common field sizes); the database
# refuses UPDATE and DELETE of its rows from now on (AppendOnly after the other operations:
# SQLite rebuilds the table for them, and the rebuild would drop the triggers).

from django.db import migrations, models

from gongzhi.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="note",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="action",
            field=models.CharField(max_length=30),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="from_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="to_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        AppendOnly("caseevent"),
    ]
