"""China's public holidays for 2026 and 2027, and the trigger that keeps decisions immutable.

2026 follows the State Council's notice (国办发明电〔2025〕7号), with its 调休 working days.
For 2027 only the statutory days are listed (元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1,
国庆 3, by the lunar calendar); add the bridge days and 调休 working days in the admin when
the 2027 notice is published.
"""

import datetime as dt

from django.db import migrations

HOLIDAYS_2026 = {
    "元旦": ("2026-01-01", "2026-01-03", ["2026-01-04"]),
    "春节": ("2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    "清明节": ("2026-04-04", "2026-04-06", []),
    "劳动节": ("2026-05-01", "2026-05-05", ["2026-05-09"]),
    "端午节": ("2026-06-19", "2026-06-21", []),
    "中秋节": ("2026-09-25", "2026-09-27", []),
    "国庆节": ("2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
}
HOLIDAYS_2027 = {
    "元旦": ("2027-01-01", "2027-01-01", []),
    "春节": ("2027-02-05", "2027-02-08", []),
    "清明节": ("2027-04-05", "2027-04-05", []),
    "劳动节": ("2027-05-01", "2027-05-02", []),
    "端午节": ("2027-06-09", "2027-06-09", []),
    "中秋节": ("2027-09-15", "2027-09-15", []),
    "国庆节": ("2027-10-01", "2027-10-03", []),
}


def _rows(table):
    for name, (first, last, workdays) in table.items():
        day = dt.date.fromisoformat(first)
        while day <= dt.date.fromisoformat(last):
            yield day, name, False
            day += dt.timedelta(days=1)
        for workday in workdays:
            yield dt.date.fromisoformat(workday), f"{name}调休上班", True


def add_holidays(apps, schema_editor):
    PublicHoliday = apps.get_model("meetings", "PublicHoliday")
    for table in (HOLIDAYS_2026, HOLIDAYS_2027):
        for day, name, is_workday in _rows(table):
            PublicHoliday.objects.update_or_create(
                date=day, defaults={"name": name, "is_workday": is_workday}
            )


def remove_holidays(apps, schema_editor):
    apps.get_model("meetings", "PublicHoliday").objects.filter(
        date__year__in=(2026, 2027)
    ).delete()


SQLITE_TRIGGER = """
CREATE TRIGGER meetings_decision_immutable BEFORE UPDATE ON meetings_decision
BEGIN SELECT RAISE(ABORT, 'meetings_decision rows are immutable: record a correction'); END;
"""
POSTGRES_TRIGGER = """
CREATE FUNCTION meetings_decision_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'meetings_decision rows are immutable: record a correction'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER meetings_decision_immutable BEFORE UPDATE ON meetings_decision
FOR EACH ROW EXECUTE FUNCTION meetings_decision_immutable();
"""


def add_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGER)


def remove_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS meetings_decision_immutable")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS meetings_decision_immutable ON meetings_decision;"
            "DROP FUNCTION IF EXISTS meetings_decision_immutable();"
        )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [
        migrations.RunPython(add_holidays, remove_holidays),
        migrations.RunPython(add_trigger, remove_trigger),
    ]
