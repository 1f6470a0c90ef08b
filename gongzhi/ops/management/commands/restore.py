"""``gongzhi restore FILE [--yes]``: restore a backup, then verify it (docs/backup.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `gongzhi backup` into this site's database and verify it "
        "(integrity, points ledger, a decrypted sample, row counts). Stop the app servers and "
        "workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes",
            action="store_true",
            help="confirm that the database's current contents are to be replaced",
        )

    def handle(self, *args, file: Path, yes: bool, **options):
        try:
            report = backup_restore(path=file, replace=yes)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            _("Restored %(tables)d tables, %(rows)d rows and %(files)d files from %(path)s.")
            % {
                "tables": report.tables,
                "rows": report.rows,
                "files": report.media_files,
                "path": file,
            }
        )
        if report.migrated:
            self.stdout.write(
                _("Migrated to this version: %(names)s") % {"names": ", ".join(report.migrated)}
            )
        self.stdout.write(_("Personal data: %(sample)s.") % {"sample": report.sample})
        self.stdout.write(
            _("Points ledger: %(result)s.")
            % {"result": _("balanced") if report.ledger.get("ok") else _("DIFFERENCES")}
        )
        if not report.ok:
            self.stderr.write(
                json.dumps(
                    {"ledger": report.ledger, "counts": report.count_differences},
                    ensure_ascii=False,
                    default=str,
                )
            )
            raise CommandError(_("The restored database failed its verification (see above)."))
        self.stdout.write(_("Verified: row counts equal the manifest's."))
