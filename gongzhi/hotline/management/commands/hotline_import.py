"""``gongzhi hotline_import FILE.xlsx [--mapping mapping.json] [--community NAME]``: import the
hotline's spreadsheet of work orders, all or nothing (docs/hotline.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.hotline.excel import MappingError, import_orders, load_mapping
from gongzhi.places.community_io import command_community


class Command(BaseCommand):
    help = "Import 12345 work orders (and callback results) from an .xlsx file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the hotline's .xlsx file (header row first)")
        parser.add_argument("--mapping", help="JSON file: field → column header (docs/hotline.md)")
        parser.add_argument("--community", help="community name (needed if there are several)")

    def handle(self, *args, file: str, mapping: str | None, community: str | None, **options):
        try:
            columns = load_mapping(mapping)
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        result = import_orders(Path(file), community=command_community(community), mapping=columns)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(error.describe())
            raise CommandError(
                _("Nothing was imported: %(count)d errors.") % {"count": len(result.errors)}
            )
        self.stdout.write(
            _("New orders: %(created)d, already known: %(unchanged)d, callbacks: %(callbacks)d.")
            % {
                "created": result.created,
                "unchanged": result.unchanged,
                "callbacks": result.callbacks,
            }
        )
        if result.decisions:
            self.stdout.write(_("Extension decisions: %(count)d.") % {"count": result.decisions})
