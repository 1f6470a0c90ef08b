"""``gongzhi qr_posters --community NAME --output F.pdf``: an A4 scan-to-report poster for each
compound (its public spots) and each building, with the QR code of its stable report link."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.core.pdf import PdfError
from gongzhi.places.community_io import command_community
from gongzhi.places.posters import posters_pdf


class Command(BaseCommand):
    help = "Print the scan-to-report QR posters of a community (one page per building and spot)."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="community name (needed if there are several)")
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument(
            "--base-url", help="site address in the QR codes (default GONGZHI_PUBLIC_URL)"
        )

    def handle(self, *args, community, output: str, base_url, **options):
        path = Path(output)
        if path.suffix.lower() != ".pdf":
            raise CommandError(_("The output file must end with .pdf."))
        base_url = base_url or settings.GONGZHI_PUBLIC_URL
        if not base_url:
            raise CommandError(_("Give the site address with --base-url or GONGZHI_PUBLIC_URL."))
        target = command_community(community)
        try:
            content, pages = posters_pdf(community=target, base_url=base_url)
        except PdfError as error:
            raise CommandError(str(error)) from None
        path.write_bytes(content)
        self.stdout.write(_("Wrote %(count)d posters to %(path)s") % {"count": pages, "path": path})
