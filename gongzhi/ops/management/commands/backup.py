"""``gongzhi backup --output FILE``: the database and uploaded files in one file with a manifest
(docs/backup.md). Safe while the site runs. ``--directory DIR --keep N`` names the file itself
and keeps the newest N; ``--scheduled`` is that with ``GONGZHI_BACKUP_*`` (the worker's daily
``backup`` job), and does nothing when ``GONGZHI_BACKUP_DIR`` is unset."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from gongzhi.ops.backup import BackupError, backup_create, backup_into


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one .tar.gz file with a manifest."

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--output", type=Path, help="the new backup file")
        where.add_argument(
            "--directory",
            type=Path,
            help="a new file gongzhi-YYYYMMDD-HHMMSSZ.tar.gz in this folder (see --keep)",
        )
        where.add_argument(
            "--scheduled",
            action="store_true",
            help="the worker's daily backup: --directory GONGZHI_BACKUP_DIR --keep "
            "GONGZHI_BACKUP_KEEP (nothing when GONGZHI_BACKUP_DIR is unset)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            help="with --directory: keep only the newest N backups of that name (default: all)",
        )
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="leave the uploaded files out (e.g. a versioned S3 bucket backed up on its own)",
        )

    def handle(self, *args, output, directory, scheduled, keep, no_media, **options):
        started = time.monotonic()
        media = not no_media
        if keep is not None and directory is None:
            raise CommandError(_("--keep goes with --directory."))
        if scheduled:
            directory = settings.GONGZHI_BACKUP_DIR
            if directory is None:
                self.stdout.write(_("GONGZHI_BACKUP_DIR is not set: no scheduled backup."))
                return
            keep = settings.GONGZHI_BACKUP_KEEP
            media = media and settings.GONGZHI_BACKUP_MEDIA
        removed = []
        try:
            if directory is not None:
                made = backup_into(directory=directory, keep=keep, media=media)
                output, manifest, removed = made.path, made.manifest, made.removed
            else:
                manifest = backup_create(output=output, media=media)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            _(
                "Backup written to %(path)s (%(size)s, %(tables)d tables, %(rows)d rows, "
                "%(files)d files) in %(seconds).1f s. Keep GONGZHI_FIELD_KEY safe separately: "
                "without it the personal data in this backup cannot be read."
            )
            % {
                "path": output,
                "size": filesizeformat(output.stat().st_size),
                "tables": len(manifest["counts"]),
                "rows": sum(manifest["counts"].values()),
                "files": manifest["media"]["files"],
                "seconds": time.monotonic() - started,
            }
        )
        if removed:
            self.stdout.write(
                _("Removed %(count)d older backups: %(names)s")
                % {"count": len(removed), "names": ", ".join(p.name for p in removed)}
            )
