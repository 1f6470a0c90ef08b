# ProjectEvent takes core.models.HistoryEvent's shape: from_stage / to_stage are renamed (the data
# is kept) to from_status / to_status, and it gains structured data; the database refuses UPDATE
# and DELETE of its rows from now on (AppendOnly last: SQLite rebuilds the table for the
# AlterFields, and the rebuild would drop the triggers).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from gongzhi.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name="projectevent", old_name="from_stage", new_name="from_status"
        ),
        migrations.RenameField(
            model_name="projectevent", old_name="to_stage", new_name="to_status"
        ),
        migrations.AlterField(
            model_name="projectevent",
            name="from_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="projectevent",
            name="to_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="projectevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="projectevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="projectevent",
            name="at",
            field=models.DateTimeField(db_index=True),
        ),
        AppendOnly("projectevent"),
    ]
