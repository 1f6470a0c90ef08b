"""``gongzhi invitation_letters --building B --output F.pdf``: one letter per household.

``B`` is the building's id or "小区 楼栋" (e.g. "渔家苑 1栋"; add ``--community`` when several
communities have a compound of that name). Printing again revokes the building's unused codes.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.accounts.letters import letters_pdf
from gongzhi.accounts.services import AccountError, letters_issue
from gongzhi.core.pdf import PdfError, chinese_font
from gongzhi.places.models import Building


def find_building(text: str, community: str | None = None) -> Building:
    text = (text or "").strip()
    qs = Building.objects.select_related("compound__community")
    if text.isdigit():
        building = qs.filter(pk=int(text)).first()
        if building is None:
            raise CommandError(_("There is no building with id %(id)s.") % {"id": text})
        return building
    compound, _sep, name = text.rpartition(" ")
    if not compound:
        raise CommandError(
            _('Name the building as "compound building", e.g. "渔家苑 1栋", or by id.')
        )
    qs = qs.filter(compound__name=compound.strip(), name=name.strip())
    if community:
        qs = qs.filter(compound__community__name=community)
    matches = list(qs[:2])
    if not matches:
        raise CommandError(_("There is no building %(name)s.") % {"name": text})
    if len(matches) > 1:
        raise CommandError(
            _("Several buildings are called %(name)s: add --community.") % {"name": text}
        )
    return matches[0]


class Command(BaseCommand):
    help = "Print one invitation letter (one-time code and QR code) per household of a building."

    def add_arguments(self, parser):
        parser.add_argument("--building", required=True, help='id or "小区 楼栋"')
        parser.add_argument("--community", help="community name, if the compound name is shared")
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument(
            "--base-url", help="site address in the QR codes (default GONGZHI_PUBLIC_URL)"
        )

    def handle(self, *args, building: str, community, output: str, base_url, **options):
        path = Path(output)
        if path.suffix.lower() != ".pdf":
            raise CommandError(_("The output file must end with .pdf."))
        base_url = base_url or settings.GONGZHI_PUBLIC_URL
        if not base_url:
            raise CommandError(_("Give the site address with --base-url or GONGZHI_PUBLIC_URL."))
        target = find_building(building, community)
        try:
            chinese_font()  # fail before any code is revoked
            letters = letters_issue(actor=None, building=target)
            content = letters_pdf(building=target, letters=letters, base_url=base_url)
        except (PdfError, AccountError) as error:
            raise CommandError(str(error)) from None
        path.write_bytes(content)
        self.stdout.write(
            _("Wrote %(count)d letters to %(path)s") % {"count": len(letters), "path": path}
        )
