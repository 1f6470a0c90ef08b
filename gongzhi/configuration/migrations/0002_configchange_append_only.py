# The settings change log was append-only in Python only (ConfigChange.save); the database now
# refuses UPDATE and DELETE of its rows as well. The actor is PROTECTed and never null.

from django.db import migrations

from gongzhi.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("configuration", "0001_initial"),
    ]

    operations = [
        AppendOnly("configchange", nullable=()),
    ]
