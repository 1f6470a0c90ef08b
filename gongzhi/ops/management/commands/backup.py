"""``gongzhi backup --output FILE``: the database and uploaded files in one file with a manifest
(docs/backup.md). Safe while the site runs."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from gongzhi.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one .tar.gz file with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="the new backup file")
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="leave the uploaded files out (e.g. a versioned S3 bucket backed up on its own)",
        )

    def handle(self, *args, output: Path, no_media: bool, **options):
        started = time.monotonic()
        try:
            manifest = backup_create(output=output, media=not no_media)
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
