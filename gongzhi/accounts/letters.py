"""Household invitation letters: one A4 page per household with its one-time code and a QR
code that opens the page where a resident signs up (or, signed in, uses the code)."""

import io

from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from gongzhi.core.pdf import chinese_font, draw_qr
from gongzhi.places.models import Building, Household


def letter_url(base_url: str, code: str) -> str:
    return base_url.rstrip("/") + reverse("accounts:join", args=[code])


def letters_pdf(
    *, building: Building, letters: list[tuple[Household, str]], base_url: str
) -> bytes:
    """The letters of ``letters_issue`` as one PDF (the codes exist in clear only here)."""
    font = chinese_font()
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Invitation letters: %(building)s") % {"building": building})
    width, height = A4
    community = building.compound.community.name
    for household, code in letters:
        household.unit.building = building  # the label reads the building's compound
        pdf.setFont(font, 24)
        pdf.drawCentredString(width / 2, height - 40 * mm, _("Invitation to Gongzhi"))
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height - 55 * mm, f"{community} {household.label}")
        pdf.setFont(font, 12)
        lines = [
            _("Dear neighbours,"),
            _("scan the QR code below with your phone to sign up for Gongzhi (共治),"),
            _("report problems, follow their progress and take part in community affairs."),
            _("The code links your account to this household; it can be used once."),
        ]
        for i, line in enumerate(lines):
            pdf.drawString(25 * mm, height - (75 + 8 * i) * mm, line)
        url = letter_url(base_url, code)
        draw_qr(pdf, url, x=(width - 70 * mm) / 2, y=height - 180 * mm, size=70 * mm)
        pdf.setFont(font, 18)
        pdf.drawCentredString(
            width / 2, height - 195 * mm, _("Invitation code: %(code)s") % {"code": code}
        )
        pdf.setFont(font, 10)
        pdf.drawCentredString(width / 2, height - 205 * mm, url)
        pdf.drawCentredString(
            width / 2,
            25 * mm,
            _("Letters printed again replace this one. Questions: ask your community office."),
        )
        pdf.showPage()
    pdf.save()
    return out.getvalue()
