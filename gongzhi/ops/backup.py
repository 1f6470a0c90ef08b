"""Backups: ``gongzhi backup --output FILE`` and ``gongzhi restore FILE [--yes]`` (docs/backup.md).

A backup is one gzip-compressed tar file:

* ``database.sqlite3`` — SQLite: a copy made with the online backup API (consistent while the
  site runs and writes); or ``database.pgdump`` — PostgreSQL: ``pg_dump --format=custom`` of a
  snapshot exported by the transaction that also counts the rows (the counts are the dump's);
* ``media/…`` — every uploaded file, read through Django's storage API (local disk or S3),
  after the database: every file the database names was stored before it was committed;
* ``manifest.json`` — format, Gongzhi's version, the database vendor, the applied migrations,
  the row count of every table and the SHA-256 of every other member.

Restore refuses, changing nothing, a file that is not a tar, not ours, of the other database
vendor, with a member whose checksum differs, made by newer code (migrations this code does not
know), whose personal data does not decrypt with the current ``GONGZHI_FIELD_KEY``, or whose
database copy fails its integrity check; and a database that holds data (a user or a community)
unless ``--yes`` confirms that it is to be replaced. It replaces the whole database at once
(SQLite: the backup API again; PostgreSQL: ``psql --single-transaction`` that also checks the
counts, so a failure rolls everything back), brings the schema up to this code (``migrate``),
then puts the files back and verifies: integrity, the points ledger, one decrypted sample and
the row counts against the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.services import ServiceError

FORMAT = "gongzhi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media/"
CHUNK = 1 << 20
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class BackupError(ServiceError):
    statuses = {"corrupt": 400, "foreign": 400, "checksum": 400, "not_empty": 409}


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    migrated: list[str] = field(default_factory=list)
    ledger: dict = field(default_factory=dict)
    sample: str = ""
    count_differences: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.ledger.get("ok")) and not self.count_differences


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _gongzhi_version() -> str:
    try:
        return version("gongzhi")
    except PackageNotFoundError:
        return "unknown"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- reading the data that is being backed up or restored -----------------------------------


def _sqlite_facts(path: Path) -> tuple[dict[str, int], dict[str, list[str]], str]:
    """Counts per table, applied migrations and ``PRAGMA integrity_check`` of a database file."""
    with sqlite3.connect(path) as db:
        check = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {
            t: db.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0]  # noqa: S608
            for t in tables
        }
        migrations: dict[str, list[str]] = {}
        if "django_migrations" in tables:
            for app, name in db.execute("SELECT app, name FROM django_migrations ORDER BY id"):
                migrations.setdefault(app, []).append(name)
    db.close()
    return counts, migrations, check


def _live_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - a table name
        counts[table] = cursor.fetchone()[0]
    return counts


def _live_migrations(cursor) -> dict[str, list[str]]:
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in connection.introspection.table_names(cursor):
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return migrations


def _encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every field encrypted at rest, residents first."""
    columns = [
        (model._meta.db_table, f.column)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]
    return sorted(columns, key=lambda tc: (tc[0] != "people_resident", tc))


def _check_sample(token: str | None) -> str:
    """Decrypt one stored value with the current key; refuse clearly when it does not."""
    if token is None:
        return _("no personal data to decrypt")
    try:
        crypto.decrypt(token)
    except Exception:  # noqa: BLE001 - a wrong key, a damaged key: the same answer
        raise BackupError(
            "wrong_key",
            _(
                "The backup's personal data cannot be decrypted with the current "
                "GONGZHI_FIELD_KEY. Set the key that was in use when the backup was made "
                "(it is not inside the backup; see docs/backup.md) and try again."
            ),
        ) from None
    return _("decrypted one stored value with the current key")


# ---- backup -------------------------------------------------------------------------------


def _pg_env_args(settings_dict: dict) -> tuple[dict, list[str]]:
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    return env, args


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``/``psql``, refused when missing or older than the server."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            "tool_missing",
            _("%(tool)s is not installed; install the PostgreSQL client of the server's version.")
            % {"tool": name},
        )
    text = subprocess.run(  # noqa: S603 - a fixed PostgreSQL tool
        [found, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    tool_major = int(match.group(1)) if match else 0
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    if tool_major < server_major:
        raise BackupError(
            "tool_version",
            _(
                "%(tool)s is version %(tool_major)s but the server is %(server_major)s; install the "
                "client of the server's version."
            )
            % {"tool": name, "tool_major": tool_major, "server_major": server_major},
        )
    return found


def _dump_sqlite(into: Path) -> tuple[dict, dict]:
    connection.ensure_connection()
    target = sqlite3.connect(into)
    try:
        # The online backup API: a consistent copy even while the site writes.
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    counts, migrations, check = _sqlite_facts(into)
    if check != "ok":
        raise BackupError(
            "corrupt_source",
            _("The database fails its integrity check (%(check)s); it was not backed up.")
            % {"check": check[:200]},
        )
    return counts, migrations


def _dump_postgresql(into: Path) -> tuple[dict, dict]:
    pg_dump = _pg_tool("pg_dump")
    env, args = _pg_env_args(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        # The dump and the counts read one snapshot: the counts are exactly the dump's.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        done = subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
            [
                pg_dump,
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={into}",
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(
                "dump_failed",
                _("pg_dump failed: %(error)s") % {"error": done.stderr.strip()[:500]},
            )
        return _live_counts(cursor), _live_migrations(cursor)


def _media_names(directory: str = "") -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{directory}{name}"
    for folder in sorted(folders):
        yield from _media_names(f"{directory}{folder}/")


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(content))


def backup_create(*, output: Path, media: bool = True) -> dict:
    """Write a backup of the database (and the uploaded files) to ``output``; the manifest."""
    output = Path(output)
    if output.exists():
        raise BackupError(
            "exists", _("%(path)s already exists; choose a new file name.") % {"path": output}
        )
    if not output.parent.is_dir():
        raise BackupError(
            "no_directory", _("The folder %(path)s does not exist.") % {"path": output.parent}
        )
    if connection.in_atomic_block:
        # The copy must see committed data only (SQLite's backup API would wait for ever on
        # this connection's own open write transaction).
        raise BackupError("in_transaction", "backup cannot run inside a transaction")
    vendor = connection.vendor
    if vendor not in MEMBERS:
        raise BackupError("vendor", _("Only SQLite and PostgreSQL databases can be backed up."))
    member = MEMBERS[vendor]
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".gongzhi-backup-") as work:
        dump = Path(work) / member
        counts, migrations = (_dump_sqlite if vendor == "sqlite" else _dump_postgresql)(dump)
        partial = Path(work) / "backup.tar.gz"
        files: dict[str, str] = {member: _sha256_file(dump)}
        media_bytes = 0
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            archive.add(dump, arcname=member)
            for name in _media_names() if media else ():
                with default_storage.open(name, "rb") as handle:
                    content = handle.read()
                files[MEDIA + name] = hashlib.sha256(content).hexdigest()
                media_bytes += len(content)
                _add_bytes(archive, MEDIA + name, content)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "gongzhi_version": _gongzhi_version(),
                "created_at": timezone.now().isoformat(),
                "vendor": vendor,
                "database": member,
                "checksum": files[member],
                "migrations": migrations,
                "counts": counts,
                "media": {
                    "included": media,
                    "storage": default_storage.__class__.__module__
                    + "."
                    + default_storage.__class__.__name__,
                    "files": len(files) - 1,
                    "bytes": media_bytes,
                },
                "files": files,
            }
            _add_bytes(
                archive,
                MANIFEST,
                json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode(),
            )
        os.chmod(partial, 0o600)
        os.replace(partial, output)
    return manifest


#: The names ``backup_into`` gives its files: UTC, so they sort in the order they were made.
ROTATED_NAME = re.compile(r"gongzhi-\d{8}-\d{6}Z\.tar\.gz")


@dataclass
class RotatedBackup:
    path: Path
    manifest: dict
    removed: list[Path] = field(default_factory=list)


def backup_into(*, directory: Path, keep: int | None, media: bool = True) -> RotatedBackup:
    """A new backup ``gongzhi-YYYYMMDD-HHMMSSZ.tar.gz`` in ``directory`` (made by
    ``backup_create``), then only the newest ``keep`` files of that name stay: the worker's
    daily backup (``GONGZHI_BACKUP_DIR``). ``keep=None`` keeps them all. Other files in the
    folder are never touched, and nothing is removed when the backup fails."""
    if keep is not None and keep < 1:
        raise BackupError("keep", _("Keep at least one backup (keep=%(keep)d).") % {"keep": keep})
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"gongzhi-{timezone.now().astimezone(dt.UTC):%Y%m%d-%H%M%S}Z.tar.gz"
    output = directory / name
    manifest = backup_create(output=output, media=media)
    ours = sorted(
        (p for p in directory.iterdir() if p.is_file() and ROTATED_NAME.fullmatch(p.name)),
        key=lambda p: p.name,
    )
    removed = [p for p in ours[: -keep if keep else 0] if p != output]
    for old in removed:
        old.unlink(missing_ok=True)
    return RotatedBackup(output, manifest, removed)


# ---- restore ------------------------------------------------------------------------------


def _corrupt() -> BackupError:
    return BackupError(
        "corrupt", _("The file is damaged or is not a Gongzhi backup (it cannot be read).")
    )


def _foreign(detail: str) -> BackupError:
    return BackupError(
        "foreign", _("This is not a Gongzhi backup: %(detail)s") % {"detail": detail}
    )


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name.strip() == name


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        handle = archive.extractfile(MANIFEST)
    except KeyError:
        raise _foreign(_("it holds no manifest.json")) from None
    if handle is None:
        raise _foreign(_("its manifest.json is not a file"))
    try:
        manifest = json.loads(handle.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _foreign(_("its manifest.json cannot be read")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _foreign(_("its manifest is of another program"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _foreign(
            _("its format version %(found)s is not %(expected)s")
            % {"found": manifest.get("format_version"), "expected": FORMAT_VERSION}
        )
    for key, kind in (("counts", dict), ("migrations", dict), ("files", dict), ("vendor", str)):
        if not isinstance(manifest.get(key), kind):
            raise _foreign(_("its manifest lacks %(key)s") % {"key": key})
    if not all(
        isinstance(table, str) and TABLE_NAME.fullmatch(table) and type(n) is int and n >= 0
        for table, n in manifest["counts"].items()
    ):
        raise _foreign(_("its manifest's row counts cannot be read"))
    if not all(_safe_member(name) for name in manifest["files"]):
        raise _foreign(_("it names files outside the backup"))
    return manifest


def _check_vendor_and_migrations(manifest: dict) -> None:
    vendor = connection.vendor
    if manifest["vendor"] != vendor or manifest.get("database") != MEMBERS.get(vendor):
        raise BackupError(
            "wrong_vendor",
            _(
                "The backup is of a %(found)s database but this site uses %(current)s; restore it "
                "into a %(found)s database."
            )
            % {"found": manifest["vendor"], "current": vendor},
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "newer",
            _(
                "The backup was made by a newer Gongzhi (migrations this version does not know: "
                "%(names)s). Install that version or newer, then restore."
            )
            % {"names": ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")},
        )


def _extract_checked(archive: tarfile.TarFile, manifest: dict, work: Path) -> dict[str, bytes]:
    """Extract the database member to ``work`` and read the media files, checking every
    member's SHA-256 against the manifest; returns the media files' contents by name."""
    media: dict[str, bytes] = {}
    for name, expected in sorted(manifest["files"].items()):
        try:
            handle = archive.extractfile(name)
        except KeyError:
            raise BackupError(
                "checksum", _("The backup is incomplete: %(name)s is missing.") % {"name": name}
            ) from None
        if handle is None:
            raise _corrupt()
        digest = hashlib.sha256()
        if name == manifest["database"]:
            with (work / name).open("wb") as out:
                while block := handle.read(CHUNK):
                    digest.update(block)
                    out.write(block)
        elif name.startswith(MEDIA):
            content = handle.read()
            digest.update(content)
            media[name.removeprefix(MEDIA)] = content
        else:
            raise _foreign(_("it holds an unknown file %(name)s") % {"name": name})
        if digest.hexdigest() != expected:
            raise BackupError(
                "checksum",
                _("The backup is damaged: the checksum of %(name)s does not match its manifest.")
                % {"name": name},
            )
    if manifest["database"] not in manifest["files"] or manifest.get("checksum") != manifest[
        "files"
    ].get(manifest["database"]):
        raise _foreign(_("its manifest names no database copy"))
    return media


def database_holds_data() -> bool:
    """Whether the current database holds a site: any user account or community. A new
    database, or one just migrated (which holds only reference rows), does not."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for table in ("auth_user", "places_community"):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return True
    return False


def _count_differences(expected: dict[str, int], found: dict[str, int]) -> dict:
    return {
        table: {"manifest": n, "database": found.get(table)}
        for table, n in expected.items()
        if found.get(table) != n
    }


def _precheck_sqlite(copy: Path, manifest: dict) -> str:
    counts, _migrations, check = _sqlite_facts(copy)
    if check != "ok":
        raise BackupError(
            "corrupt",
            _("The backup's database fails its integrity check: %(check)s")
            % {"check": check[:200]},
        )
    differences = _count_differences(manifest["counts"], counts)
    if differences:
        raise BackupError(
            "checksum",
            _("The backup's row counts differ from its manifest (%(tables)s).")
            % {"tables": ", ".join(sorted(differences)[:5])},
        )
    token = None
    with sqlite3.connect(copy) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table, column in _encrypted_columns():
            if table in tables:
                row = db.execute(
                    f"SELECT {_quote(column)} FROM {_quote(table)} "  # noqa: S608 - our own names
                    f"WHERE {_quote(column)} IS NOT NULL AND {_quote(column)} != '' LIMIT 1"
                ).fetchone()
                if row:
                    token = row[0]
                    break
    db.close()
    return _check_sample(token)


def _restore_sqlite(copy: Path) -> None:
    source = sqlite3.connect(copy)
    try:
        connection.ensure_connection()
        # The backup API replaces every page of the live database in one step.
        source.backup(connection.connection)
    finally:
        source.close()


_COPY = re.compile(r"^COPY \S+ \((?P<columns>[^)]*)\) FROM stdin;$")


def _pg_sample(pg_restore: str, dump: Path) -> str | None:
    """One encrypted value from the dump's data (``pg_restore --data-only`` of one table, read
    only as far as the first value)."""
    for table, column in _encrypted_columns():
        with subprocess.Popen(  # noqa: S603 - fixed tool, our own table name
            [pg_restore, "--data-only", f"--table={table}", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as reader:
            value = _first_value(reader.stdout, column)
            reader.kill()
        if value is not None:
            return value
    return None


def _first_value(lines, column: str) -> str | None:
    index = None
    for raw in lines:
        line = raw.rstrip("\n")
        if index is None:
            match = _COPY.match(line)
            if match:
                names = [c.strip().strip('"') for c in match.group("columns").split(",")]
                if column not in names:
                    return None
                index = names.index(column)
            continue
        if line == "\\.":
            return None
        value = line.split("\t")[index]
        if value not in ("", "\\N"):
            return value
    return None


def _precheck_postgresql(dump: Path) -> tuple[str, str]:
    pg_restore = _pg_tool("pg_restore")
    listed = subprocess.run(  # noqa: S603 - fixed tool
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        raise BackupError(
            "corrupt",
            _("The backup's database dump cannot be read: %(error)s")
            % {"error": listed.stderr.strip()[:300]},
        )
    return pg_restore, _check_sample(_pg_sample(pg_restore, dump))


def _restore_postgresql(pg_restore: str, dump: Path, manifest: dict, work: Path) -> None:
    psql = _pg_tool("psql")
    script = work / "restore.sql"
    with script.open("w", encoding="utf-8") as out:
        out.write("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        out.flush()
        done = subprocess.run(  # noqa: S603 - fixed tool
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise _corrupt()
        # Counted inside the same transaction: a difference rolls the whole restore back.
        out.write("\nDO $gongzhi$\nDECLARE n bigint;\nBEGIN\n")
        # Table names and counts were checked by _read_manifest (identifiers, integers).
        for table, expected in sorted(manifest["counts"].items()):
            out.write(
                f"  SELECT count(*) INTO n FROM public.{_quote(table)};\n"  # noqa: S608
                f"  IF n <> {int(expected)} THEN RAISE EXCEPTION "
                f"'gongzhi-count {table}: % rows, manifest {int(expected)}', n; END IF;\n"
            )
        out.write("END\n$gongzhi$;\n")
    env, args = _pg_env_args(connection.settings_dict)
    connection.close()
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
        [
            psql,
            *args,
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={connection.settings_dict['NAME']}",
            f"--file={script}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            "restore_failed",
            _("The restore failed and was rolled back; the database is unchanged: %(error)s")
            % {"error": done.stderr.strip()[-500:]},
        )


def backup_restore(*, path: Path, replace: bool = False) -> RestoreReport:
    """Restore the backup at ``path`` into the current database, then verify it."""
    path = Path(path)
    if connection.in_atomic_block:
        raise BackupError("in_transaction", "restore cannot run inside a transaction")
    try:
        archive = tarfile.open(path, "r:*")
    except FileNotFoundError:
        raise BackupError("not_found", _("%(path)s does not exist.") % {"path": path}) from None
    except (tarfile.TarError, OSError, EOFError):
        raise _corrupt() from None
    report = RestoreReport()
    try:
        with archive, tempfile.TemporaryDirectory(prefix="gongzhi-restore-") as tmp:
            work = Path(tmp)
            try:
                manifest = _read_manifest(archive)
                _check_vendor_and_migrations(manifest)
                media = _extract_checked(archive, manifest, work)
            except (tarfile.TarError, OSError, EOFError, zlib.error):
                raise _corrupt() from None
            dump = work / manifest["database"]
            if connection.vendor == "sqlite":
                report.sample = _precheck_sqlite(dump, manifest)
            else:
                pg_restore, report.sample = _precheck_postgresql(dump)
            if database_holds_data() and not replace:
                raise BackupError(
                    "not_empty",
                    _(
                        "The database already holds data (users or communities). Nothing was "
                        "changed. To replace everything in it with the backup, run the restore "
                        "again with --yes."
                    ),
                )
            if connection.vendor == "sqlite":
                _restore_sqlite(dump)
            else:
                _restore_postgresql(pg_restore, dump, manifest, work)
    finally:
        archive.close()
    report.migrated = _migrate()
    for name, content in sorted(media.items()):
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(content))
        report.media_files += 1
    _verify(report, manifest)
    return report


def _migrate() -> list[str]:
    """Bring a backup made by older code up to this code's schema."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def _verify(report: RestoreReport, manifest: dict) -> None:
    from gongzhi.points.checks import ledger_check

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            check = "; ".join(row[0] for row in cursor.fetchall())
            if check != "ok":
                report.count_differences["integrity_check"] = check
        found = _live_counts(cursor)
    if not report.migrated:
        # (After migrations, tables have rows of their own; the copy's counts were checked.)
        report.count_differences.update(_count_differences(manifest["counts"], found))
    report.tables = len(found)
    report.rows = sum(found.values())
    report.ledger = ledger_check()
    token = None
    with connection.cursor() as cursor:
        for table, column in _encrypted_columns():
            cursor.execute(
                f"SELECT {_quote(column)} FROM {_quote(table)} "  # noqa: S608 - our own names
                f"WHERE {_quote(column)} IS NOT NULL AND {_quote(column)} != '' LIMIT 1"
            )
            row = cursor.fetchone()
            if row:
                token = row[0]
                break
    report.sample = _check_sample(token)
