"""History tables the database itself keeps append-only.

``AppendOnly("matterevent")`` in a migration adds triggers that refuse every ``UPDATE`` and
``DELETE`` of the model's table, with one exception: a column in ``nullable`` (by default the
actor) may be set to NULL, so that deleting a user account (``on_delete=SET_NULL``) still
works while nothing else in the row can change.

SQLite: ``BEFORE UPDATE`` / ``BEFORE DELETE`` triggers that ``RAISE(ABORT)``.
PostgreSQL: one plpgsql function per table, fired ``BEFORE UPDATE OR DELETE`` for each row.
``TRUNCATE`` and dropping the trigger are not covered (they need the table's owner).
"""

from django.db import migrations

MESSAGE = "%s rows are append-only"


def _allowed_update(columns: list[str], nullable: tuple[str, ...], old: str, new: str) -> str:
    """A condition true when the update only sets ``nullable`` columns to NULL."""
    same = [f"{new}.{c} IS NOT DISTINCT FROM {old}.{c}" for c in columns if c not in nullable]
    cleared = [f"({new}.{c} IS NULL OR {new}.{c} IS NOT DISTINCT FROM {old}.{c})" for c in nullable]
    return " AND ".join(same + cleared) or "TRUE"


def sqlite_statements(table: str, columns: list[str], nullable: tuple[str, ...]) -> list[str]:
    # SQLite spells IS NOT DISTINCT FROM as IS.
    allowed = _allowed_update(columns, nullable, "OLD", "NEW").replace(
        " IS NOT DISTINCT FROM ", " IS "
    )
    allowed = allowed.replace("TRUE", "1")
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN NOT ({allowed}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % table}'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % table}'); END;",
    ]


def postgres_statements(table: str, columns: list[str], nullable: tuple[str, ...]) -> list[str]:
    allowed = _allowed_update(columns, nullable, "OLD", "NEW")
    return [
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND ({allowed}) THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{MESSAGE % table}'; END; $$ LANGUAGE plpgsql;",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only();",
    ]


def drop_statements(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]


class AppendOnly(migrations.operations.base.Operation):
    """Make ``model_name``'s table append-only (see the module's docstring)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, nullable: tuple[str, ...] = ("actor_id",)) -> None:
        self.model_name = model_name
        self.nullable = tuple(nullable)

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {"nullable": self.nullable})

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        columns = [field.column for field in model._meta.local_concrete_fields]
        return model._meta.db_table, columns

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table, columns = self._table(app_label, to_state)
        vendor = schema_editor.connection.vendor
        build = {"sqlite": sqlite_statements, "postgresql": postgres_statements}[vendor]
        for sql in build(table, columns, tuple(c for c in self.nullable if c in columns)):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, _columns = self._table(app_label, from_state)
        for sql in drop_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(sql)

    def describe(self) -> str:
        return f"Make {self.model_name} append-only"
