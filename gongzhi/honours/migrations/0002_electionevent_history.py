# ElectionEvent takes core.models.HistoryEvent's shape (note a TextField, structured data, the
# common field sizes); the database refuses UPDATE and DELETE of its rows from now on
# (AppendOnly last: SQLite rebuilds the table for the AlterFields, which would drop the triggers).

from django.db import migrations, models

from gongzhi.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("honours", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="electionevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="electionevent",
            name="at",
            field=models.DateTimeField(db_index=True),
        ),
        migrations.AlterField(
            model_name="electionevent",
            name="from_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="electionevent",
            name="note",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="electionevent",
            name="to_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        AppendOnly("electionevent"),
    ]
