import datetime as dt
import json

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.audit.models import AuditRecord
from gongzhi.audit.selectors import audit_list
from gongzhi.audit.services import audit_purge
from gongzhi.core.excel import system_user


def as_json(row: AuditRecord) -> str:
    return json.dumps(
        {
            "at": row.at.isoformat(),
            "actor": row.actor_username,
            "action": row.action,
            "subject": row.subject,
            "address": row.address or None,
            "subdistrict": row.subdistrict_id,
            "community": row.community_id,
            "detail": row.detail,
        },
        ensure_ascii=False,
    )


def as_text(row: AuditRecord) -> str:
    at = timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S")
    return "\t".join([at, row.actor_username, row.action, row.subject, row.address or "-"])


class Command(BaseCommand):
    help = (
        "Print the audit trail, oldest first (--json: one JSON object per line), or delete the "
        "records older than GONGZHI_AUDIT_RETENTION_DAYS (--purge)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="", help="only this username's records")
        parser.add_argument("--action", default="", help="only this action (view, export …)")
        parser.add_argument("--since", help="from this local day on, e.g. 2026-12-01")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--purge",
            action="store_true",
            help="delete the records older than the retention period, and record that",
        )

    def handle(self, *args, **options):
        if options["purge"]:
            self.purge()
            return
        since = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(
                    _("%(value)s is not a date; write it like 2026-12-01.")
                    % {"value": options["since"]}
                ) from None
        rows = audit_list(
            system_user(), username=options["user"], action=options["action"], since=since
        ).order_by("at", "id")
        line = as_json if options["json"] else as_text
        for row in rows.iterator(chunk_size=2000):
            self.stdout.write(line(row))

    def purge(self):
        days = settings.GONGZHI_AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError(
                _("GONGZHI_AUDIT_RETENTION_DAYS must be at least 1, not %(days)d.") % {"days": days}
            )
        deleted = audit_purge(actor=system_user())
        self.stdout.write(
            _("Deleted %(count)d audit records older than %(days)d days.")
            % {"count": deleted, "days": days}
        )
