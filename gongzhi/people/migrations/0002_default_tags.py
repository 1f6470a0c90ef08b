from django.db import migrations

TAGS = ["独居老人", "空巢老人", "高龄", "残疾", "低保", "退役军人", "党员", "流动人口", "留守儿童", "重病", "困难家庭"]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("people", "Tag")
    for name in TAGS:
        Tag.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
