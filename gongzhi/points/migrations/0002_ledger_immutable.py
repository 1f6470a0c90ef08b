"""Journals and postings are append-only: the database itself refuses UPDATE and DELETE.

SQLite: one ``BEFORE UPDATE`` and one ``BEFORE DELETE`` trigger per table that ``RAISE(ABORT)``.
PostgreSQL: one plpgsql function raising an exception, fired ``BEFORE UPDATE OR DELETE`` for
each row. ``TRUNCATE`` and dropping the trigger are not covered (they need the table owner).
The balance cache lives on ``points_account``, which stays updatable.
"""

from django.db import migrations

TABLES = ("points_journal", "points_posting")
MESSAGE = "%s rows are append-only: record a reversal journal instead"


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % table}'); END;"
        for verb in ("UPDATE", "DELETE")
    ]


def _postgres(table: str) -> list[str]:
    return [
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE % table}'; END; $$ LANGUAGE plpgsql;",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only();",
    ]


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        statements = {"sqlite": _sqlite, "postgresql": _postgres}[vendor](table)
        for sql in statements:
            schema_editor.execute(sql)


def remove_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
