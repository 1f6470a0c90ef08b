from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.maps.services import MapImportError, map_import, parse_geojson
from gongzhi.places.community_io import command_community


class Command(BaseCommand):
    help = "Import a community's map from GeoJSON, all or nothing (replaces its geometry)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a GeoJSON FeatureCollection (docs/maps.md)")
        parser.add_argument("--community", help="community name (needed if there are several)")

    def handle(self, *args, file: str, community, **options):
        target = command_community(community)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        try:
            result = map_import(community=target, collection=parse_geojson(path.read_bytes()))
        except MapImportError as error:
            raise CommandError(
                _("Nothing was imported:") + "\n" + "\n".join(error.errors)
            ) from None
        self.stdout.write(
            _(
                "Imported the map of %(community)s: %(compounds)d compounds, "
                "%(grids)d grids, %(buildings)d buildings, %(spots)d public spots."
            )
            % {"community": target.name, **vars(result)}
        )
