"""Printable PDFs (invitation letters, QR posters): a Chinese font embedded, QR codes drawn.

reportlab embeds TrueType fonts only (CFF-based OpenType such as Noto CJK cannot be read), so a
TrueType-outline CJK font is needed: Debian's ``fonts-wqy-microhei`` (or ``fonts-wqy-zenhei``),
or any ``.ttf``/``.ttc`` named by ``GONGZHI_PDF_FONT``.
"""

import os
from functools import cache
from pathlib import Path

import segno
from django.utils.translation import gettext as _
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_NAME = "GongzhiCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class PdfError(Exception):
    """A PDF cannot be made; the message is translated and says what to install."""


@cache
def _register(path: str) -> str:
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    except (TTFError, OSError) as exc:
        raise PdfError(
            _("The font %(path)s cannot be embedded (it must have TrueType outlines): %(error)s")
            % {"path": path, "error": exc}
        ) from exc
    return FONT_NAME


def chinese_font() -> str:
    """Register the CJK font once and return its reportlab name."""
    configured = os.environ.get("GONGZHI_PDF_FONT", "").strip()
    for path in (configured,) if configured else FONT_CANDIDATES:
        if Path(path).is_file():
            return _register(path)
    raise PdfError(
        _(
            "No Chinese font for PDFs was found. Install the Debian package fonts-wqy-microhei "
            "or set GONGZHI_PDF_FONT to a TrueType font file."
        )
    )


def draw_qr(canvas, url: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``url`` as vector squares, ``size`` points wide, lower-left at x, y;
    the area is also a link to ``url`` for readers of the PDF on screen."""
    qr = segno.make(url, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * module, top, module, module, stroke=0, fill=1)
    canvas.restoreState()
    canvas.linkURL(url, (x, y, x + size, y + size), relative=0)
