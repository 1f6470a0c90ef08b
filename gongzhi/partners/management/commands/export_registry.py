from pathlib import Path
from typing import IO

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.audit.models import AuditAction
from gongzhi.audit.services import record
from gongzhi.core.excel import system_user, workbook_content
from gongzhi.core.places import Place
from gongzhi.partners.excel import organisations_export, partners_export, teams_export
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.excel import households_export, residents_export
from gongzhi.people.selectors import household_list, resident_list
from gongzhi.places.community_io import command_community

LISTS = ("residents", "households", "partners", "teams", "organisations")


def _export(kind: str, user, place: Place | None, *, personal: bool) -> bytes | IO[bytes]:
    if kind == "residents":
        return residents_export(
            resident_list(user, place=place), personal=personal, sensitive_tags=True
        )
    if kind == "households":
        return households_export(household_list(user, place=place))
    if kind == "partners":
        return partners_export(partner_list(user, place=place))
    if kind == "teams":
        return teams_export(team_list(user, place=place))
    return organisations_export(organisation_list(user, place=place))


class Command(BaseCommand):
    help = "Export a registry list to .xlsx, run as the system with full rights."

    def add_arguments(self, parser):
        parser.add_argument("list", choices=LISTS)
        parser.add_argument("--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--place", help='only rows inside this place, e.g. "compound:3"')
        parser.add_argument("--community", help="only rows of this community (by name)")
        parser.add_argument(
            "--personal",
            action="store_true",
            help="residents: clear ID numbers and phones instead of masked ones",
        )

    def handle(self, *args, **options):
        try:
            place = Place.parse(options["place"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["community"]:
            if place is not None:
                raise CommandError(_("Give either --place or --community, not both."))
            place = Place("community", command_community(options["community"]).pk)
        if options["personal"] and options["list"] != "residents":
            raise CommandError(_("--personal only applies to the residents list."))
        user = system_user()
        content = _export(options["list"], user, place, personal=options["personal"])
        # On the audit trail: the export, and (--personal) the full numbers it carries.
        subject = f"export:{options['list']}"
        detail = {"place": str(place) if place else None, "personal": options["personal"]}
        record(user, AuditAction.EXPORT, subject, place=place, detail=detail)
        if options["personal"]:
            detail = {"fields": ["id_number", "phone"]}
            record(user, AuditAction.DECRYPT, subject, place=place, detail=detail)
        output = Path(options["output"])
        try:
            output.write_bytes(workbook_content(content))
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": output, "error": exc.strerror}
            ) from exc
        self.stdout.write(_("Wrote %(path)s.") % {"path": output})
