"""Scan-to-report (扫码上报) posters: one A4 page per building and per compound, with the QR
code of the place's stable report link. The registry has no separate gates or squares, so a
compound's poster stands for its public spots (gate, square, parking area)."""

import io

from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from gongzhi.core.naturalsort import natural_key
from gongzhi.core.pdf import chinese_font, draw_qr
from gongzhi.places.models import Building, Community, Compound


def report_path(place: Building | Compound) -> str:
    """The stable link printed on the place's poster (ids never change, names may)."""
    kind = "building" if isinstance(place, Building) else "compound"
    return reverse(f"scan:{kind}", args=[place.pk])


def report_url(base_url: str, place: Building | Compound) -> str:
    return base_url.rstrip("/") + report_path(place)


def poster_places(community: Community) -> list[Building | Compound]:
    """Each compound (its public spots) followed by its buildings, in natural order."""
    places: list[Building | Compound] = []
    compounds = sorted(community.compounds.all(), key=lambda c: natural_key(c.name))
    buildings = Building.objects.filter(compound__community=community).select_related("compound")
    by_compound: dict[int, list[Building]] = {}
    for building in buildings:
        by_compound.setdefault(building.compound_id, []).append(building)
    for compound in compounds:
        compound.community = community
        places.append(compound)
        rows = by_compound.get(compound.pk, [])
        places.extend(sorted(rows, key=lambda b: (b.number, natural_key(b.name))))
    return places


def place_title(place: Building | Compound) -> str:
    if isinstance(place, Building):
        return f"{place.compound.name} {place.name}"
    return _("%(compound)s · public areas") % {"compound": place.name}


def posters_pdf(*, community: Community, base_url: str) -> tuple[bytes, int]:
    """The community's posters as one PDF and the number of pages."""
    font = chinese_font()
    places = poster_places(community)
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Scan-to-report posters: %(community)s") % {"community": community.name})
    width, height = A4
    for place in places:
        pdf.setFont(font, 40)
        pdf.drawCentredString(width / 2, height - 45 * mm, _("Scan to report a problem"))
        pdf.setFont(font, 26)
        pdf.drawCentredString(width / 2, height - 65 * mm, place_title(place))
        url = report_url(base_url, place)
        draw_qr(pdf, url, x=(width - 120 * mm) / 2, y=height - 200 * mm, size=120 * mm)
        pdf.setFont(font, 14)
        where = (
            _("this building: stairwells, lifts, pipes, clutter in the corridors …")
            if isinstance(place, Building)
            else _("the gate, squares, paths, parking areas and green spaces …")
        )
        lines = [
            _("Scan with your phone camera or WeChat and tell us about a problem with"),
            where,
            _("The place is filled in for you. %(community)s will reply on your phone.")
            % {"community": community.name},
        ]
        for i, line in enumerate(lines):
            pdf.drawCentredString(width / 2, height - (215 + 9 * i) * mm, line)
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, 20 * mm, url)
        pdf.showPage()
    pdf.save()
    return out.getvalue(), len(places)
