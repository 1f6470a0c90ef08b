# OrderEvent takes core.models.HistoryEvent's shape (its columns were that shape already; the
# action column widens from 16 to 30 characters, every row is kept as it is) and the database
# refuses UPDATE and DELETE of its rows from now on (AppendOnly last: SQLite rebuilds the table
# for the AlterField, and the rebuild would drop the triggers).

from django.db import migrations, models

from gongzhi.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0003_extension_decision"),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("receive", "received from the hotline"),
                    ("sign", "signed for"),
                    ("reply", "replied with the result"),
                    ("return", "returned"),
                    ("extend", "extension requested"),
                    ("callback", "hotline callback"),
                    ("extension_grant", "extension granted by the hotline"),
                    ("extension_refuse", "extension refused by the hotline"),
                ],
                max_length=30,
            ),
        ),
        AppendOnly("orderevent"),
    ]
