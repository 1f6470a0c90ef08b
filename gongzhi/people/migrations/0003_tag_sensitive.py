from django.db import migrations, models

# Health, social assistance and minors: sensitive personal information (PIPL art. 28).
SENSITIVE = ["残疾", "低保", "留守儿童", "重病", "困难家庭"]


def mark_sensitive(apps, schema_editor):
    apps.get_model("people", "Tag").objects.filter(name__in=SENSITIVE).update(sensitive=True)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_default_tags")]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="sensitive",
            field=models.BooleanField(
                default=False,
                help_text="Shown only to community staff, officials and grid workers.",
                verbose_name="sensitive",
            ),
        ),
        migrations.RunPython(mark_sensitive, migrations.RunPython.noop),
    ]
