"""``gongzhi backup`` / ``gongzhi restore``: a round trip on SQLite and PostgreSQL, and every
bad file or unsafe restore refused in Chinese with nothing changed."""

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gongzhi.ops.backup import ROTATED_NAME
from gongzhi.people.models import Resident
from gongzhi.places.models import Community
from tests.conftest import append_only_lifted

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = b"\xff\xd8\xff\xe0 a matter's photo"


@pytest.fixture
def site(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    default_storage.save("matters/2026/03/lamp.jpg", ContentFile(PHOTO))
    return world


def _backup(tmp_path: Path) -> Path:
    out = tmp_path / "site.tar.gz"
    call_command("backup", "--output", str(out), stdout=io.StringIO())
    return out


def _manifest(path: Path) -> dict:
    with tarfile.open(path) as archive:
        return json.loads(archive.extractfile("manifest.json").read())


def _rewrite(source: Path, target: Path, *, manifest=None, member=None) -> Path:
    """A copy of a backup with its manifest or one member's bytes changed."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            content = old.extractfile(info).read()
            if info.name == "manifest.json" and manifest is not None:
                content = json.dumps(manifest(json.loads(content))).encode()
            elif member is not None and info.name == member[0]:
                content = member[1](content)
            info.size = len(content)
            new.addfile(info, io.BytesIO(content))
    return target


def _restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _refused(path: Path, match: str, *args: str) -> None:
    before = Community.objects.count(), Resident.objects.count()
    with pytest.raises(CommandError, match=match):
        _restore(path, *args)
    assert (Community.objects.count(), Resident.objects.count()) == before


def _wipe() -> None:
    with append_only_lifted(connection):
        call_command("flush", interactive=False, verbosity=0)
    default_storage.delete("matters/2026/03/lamp.jpg")


def test_manifest_describes_the_backup(site, tmp_path):
    path = _backup(tmp_path)
    manifest = _manifest(path)
    assert manifest["format"] == "gongzhi-backup"
    assert manifest["vendor"] == connection.vendor
    assert manifest["counts"]["people_resident"] == 6
    assert manifest["counts"]["places_community"] == 2
    assert "0001_initial" in manifest["migrations"]["ops"]
    assert manifest["media"]["files"] == 1
    assert set(manifest["files"]) == {manifest["database"], "media/matters/2026/03/lamp.jpg"}
    assert manifest["checksum"] == manifest["files"][manifest["database"]]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # A resident's ID number is in the backup only as ciphertext.
    assert site.res_a.id_number.encode() not in path.read_bytes()


def test_backup_refuses_to_overwrite_a_file(site, tmp_path):
    path = _backup(tmp_path)
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", "--output", str(path), stdout=io.StringIO())


def _round_trip_into_this_database(path: Path, site) -> None:
    _wipe()
    assert Resident.objects.count() == 0
    assert not default_storage.exists("matters/2026/03/lamp.jpg")
    out = _restore(path)
    assert "校验通过" in out
    assert Resident.objects.count() == 6 and Community.objects.count() == 2
    assert Resident.objects.get(pk=site.res_a.pk).id_number == site.res_a.id_number
    with default_storage.open("matters/2026/03/lamp.jpg") as handle:
        assert handle.read() == PHOTO


def test_round_trip(site, tmp_path):
    path = _backup(tmp_path)
    if connection.vendor == "sqlite":
        _round_trip_into_this_database(path, site)
        return
    # PostgreSQL: into a new, empty database of its own, then into this one after a flush.
    fresh = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    params = connection.settings_dict
    admin = psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{fresh}"')
    original = params["NAME"]
    try:
        connection.close()
        params["NAME"] = fresh
        out = _restore(path)
        assert "校验通过" in out
        assert Resident.objects.count() == 6
        assert Resident.objects.get(pk=site.res_a.pk).id_number == site.res_a.id_number
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ops_jobrun")
            assert cursor.fetchone()[0] == 0
    finally:
        connection.close()
        params["NAME"] = original
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        admin.close()
    _round_trip_into_this_database(path, site)


def test_non_empty_database_is_refused_without_yes_and_replaced_with_it(site, tmp_path):
    path = _backup(tmp_path)
    Community.objects.create(subdistrict=site.sub, name="后来的社区")
    _refused(path, "已有数据")
    assert Community.objects.filter(name="后来的社区").exists()
    _restore(path, "--yes")
    assert not Community.objects.filter(name="后来的社区").exists()
    assert Community.objects.count() == 2


def test_corrupt_files_are_refused(site, tmp_path):
    path = _backup(tmp_path)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(os.urandom(4096))
    _refused(garbage, "损坏")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _refused(truncated, "损坏|不完整")
    _wipe()
    _refused(garbage, "损坏")  # an empty database is not touched either
    assert Resident.objects.count() == 0


def test_foreign_and_tampered_files_are_refused(site, tmp_path):
    path = _backup(tmp_path)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        data = b"hello"
        info = tarfile.TarInfo("readme.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    _refused(foreign, "不是共治的备份")

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    wrong_vendor = _rewrite(
        path, tmp_path / "vendor.tar.gz", manifest=lambda m: {**m, "vendor": other}
    )
    _refused(wrong_vendor, "数据库")

    database = _manifest(path)["database"]
    tampered = _rewrite(
        path, tmp_path / "tampered.tar.gz", member=(database, lambda b: b[:-1] + bytes([b[-1] ^ 1]))
    )
    _refused(tampered, "校验值")

    def newer(m):
        m["migrations"]["people"].append("9999_from_the_future")
        return m

    _refused(_rewrite(path, tmp_path / "newer.tar.gz", manifest=newer), "更新版本")

    def bad_table(m):
        m["counts"]["x'; DROP TABLE people_resident; --"] = 1
        return m

    _refused(_rewrite(path, tmp_path / "inject.tar.gz", manifest=bad_table), "不是共治的备份")


def test_a_backup_that_the_current_key_cannot_decrypt_is_refused(site, tmp_path, settings):
    path = _backup(tmp_path)
    _wipe()
    settings.GONGZHI_FIELD_KEY = Fernet.generate_key().decode()
    _refused(path, "GONGZHI_FIELD_KEY")
    assert Resident.objects.count() == 0


def test_the_worker_backs_up_daily_into_the_folder_and_keeps_the_newest(site, settings, tmp_path):
    folder = tmp_path / "backups"
    settings.DATA_DIR = tmp_path  # the worker's lock files (SQLite)
    settings.GONGZHI_BACKUP_DIR = folder
    settings.GONGZHI_BACKUP_KEEP = 2
    folder.mkdir()
    older = [folder / f"gongzhi-2026030{day}-023000Z.tar.gz" for day in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"an older backup")
    (folder / "notes.txt").write_text("not ours")

    out = io.StringIO()
    call_command("worker", "--once", "--job", "backup", stdout=out)
    assert out.getvalue().startswith("backup: ok in "), out.getvalue()
    made = [p for p in folder.iterdir() if p not in older and p.name != "notes.txt"]
    assert len(made) == 1 and ROTATED_NAME.fullmatch(made[0].name)
    # The newest two of our names stay; anything else in the folder is left alone.
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [older[2].name, made[0].name, "notes.txt"]
    )
    assert "gongzhi-20260301-023000Z.tar.gz" in out.getvalue()  # said what it removed
    manifest = _manifest(made[0])
    assert manifest["format"] == "gongzhi-backup" and manifest["vendor"] == connection.vendor
    assert manifest["counts"]["people_resident"] == 6
    assert set(manifest["files"]) == {manifest["database"], "media/matters/2026/03/lamp.jpg"}
    # Once a day: the next run of the worker finds it not due.
    again = io.StringIO()
    call_command("worker", "--once", "--job", "backup", stdout=again)
    assert ": not due until " in again.getvalue()
    assert len(list(folder.glob("gongzhi-*.tar.gz"))) == 2
    # And it is a backup that restores.
    _round_trip_into_this_database(made[0], site)


def test_no_scheduled_backup_without_a_folder(site, settings, tmp_path):
    settings.GONGZHI_BACKUP_DIR = None
    out = io.StringIO()
    call_command("backup", "--scheduled", stdout=out)
    assert "未设置 GONGZHI_BACKUP_DIR" in out.getvalue()
    assert not list(tmp_path.glob("**/*.tar.gz"))


def test_backup_into_a_folder_by_hand(site, tmp_path):
    folder = tmp_path / "by-hand"  # made by the command, for its owner only
    call_command("backup", "--directory", str(folder), "--keep", "1", stdout=io.StringIO())
    made = list(folder.iterdir())
    assert len(made) == 1 and ROTATED_NAME.fullmatch(made[0].name)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    with pytest.raises(CommandError, match="--keep"):
        call_command("backup", "--output", str(tmp_path / "x.tar.gz"), "--keep", "1")
    with pytest.raises(CommandError, match="至少要保留一份"):
        call_command("backup", "--directory", str(folder), "--keep", "0")
    assert list(folder.iterdir()) == made
