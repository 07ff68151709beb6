"""The one PDF helper: A4 documents with a Unicode font and a few layout rules.

Used by the funder report (:mod:`geo.impact.report`) and the patrol briefing
(:mod:`geo.planning.briefing`). Text is set in DejaVu Sans, the TrueType font that ships
with matplotlib (``matplotlib.get_data_path()/fonts/ttf``), so "–", "é", "ł" and other
non-Latin-1 letters in place names print as written; the PDF core fonts (Helvetica) are
Latin-1 only and would mangle them.

Layout rules, so that a printed report reads well:

* **keep with next**: a heading never ends a page. Before a heading, the document starts
  a new page unless the heading and ``keep_mm`` of what follows (by default a few lines
  of text; the caller passes an image's height) fit on the current one.
* **images shrink before they jump**: an image that does not fit in the space left on
  the page is shrunk to fit, down to :data:`MIN_IMAGE_SCALE` of its width, and only
  moves to a new page (leaving a gap) when even that does not fit. Together these keep
  pages, the first one included, from ending half empty.
* blocks (an image with text beside it) are kept together on one page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF
from PIL import Image

#: DejaVu Sans, regular and bold, as shipped with matplotlib.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


FONT = "DejaVu"


FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


#: Line height (mm) per point of font size: 10 pt text on 5 mm lines.
LINE_MM_PER_PT = 0.5


#: What a heading keeps with it by default: three lines of body text, in mm.
KEEP_WITH_NEXT_MM = 15.0


#: An image may shrink to this share of its requested width to fit the page it is on.
MIN_IMAGE_SCALE = 0.6


class _Fpdf(FPDF):
    """FPDF with a centred "page N" footer in the document font, and an optional
    watermark line at the top and foot of every page."""

    watermark = ""

    def header(self) -> None:
        if self.watermark:
            self.set_font(FONT, "B", 9)
            self.set_text_color(170, 0, 0)
            self.cell(0, 5, self.watermark, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        page = f"page {self.page_no()}"
        self.cell(0, 8, f"{self.watermark} · {page}" if self.watermark else page, align="C")
        self.set_text_color(0)


class PdfDocument:
    """An A4 portrait document with the DejaVu font, headings kept with what follows,
    images that shrink to fit and a page-number footer; :meth:`output` gives the bytes.
    """

    def __init__(
        self, *, margin_mm: float = 15.0, bottom_mm: float = 15.0, watermark: str = ""
    ) -> None:
        pdf = _Fpdf(format="A4")
        # A watermark (e.g. who printed it, and when) heads and foots every page.
        pdf.watermark = watermark
        for style, name in FONT_FILES.items():
            pdf.add_font(FONT, style, str(FONT_DIR / name))
        pdf.set_margins(margin_mm, margin_mm, margin_mm)
        pdf.set_auto_page_break(True, margin=bottom_mm)
        pdf.add_page()
        pdf.set_font(FONT, size=10)
        self.pdf = pdf

    @property
    def width(self) -> float:
        """Printable width of a page, mm."""
        return self.pdf.epw

    def space_left(self) -> float:
        """Height (mm) left on the current page above the bottom margin."""
        return self.pdf.page_break_trigger - self.pdf.get_y()

    def ensure(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` fits on the current one (and the page
        has something on it already: an empty page is never skipped)."""
        if height_mm > self.space_left() and self.pdf.get_y() > self.pdf.t_margin + 1:
            self.pdf.add_page()

    def _text_height(self, text: str, size: float, style: str = "", width: float | None = None):
        self.pdf.set_font(FONT, style, size)
        return self.pdf.multi_cell(
            width or self.width,
            size * LINE_MM_PER_PT,
            text,
            dry_run=True,
            output="HEIGHT",
        )

    def heading(self, text: str, size: float = 13, *, keep_mm: float = KEEP_WITH_NEXT_MM) -> None:
        """A bold heading, on a new page unless it and ``keep_mm`` of what follows fit."""
        line = size * LINE_MM_PER_PT + 2
        self.pdf.set_font(FONT, "B", size)
        lines = self.pdf.multi_cell(self.width, line, text, dry_run=True, output="LINES")
        self.ensure(len(lines) * line + 1 + keep_mm)
        self.pdf.set_font(FONT, "B", size)
        self.pdf.multi_cell(self.width, line, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def paragraph(self, text: str, size: float = 10, *, bold: bool = False) -> None:
        """Body text, wrapped to the page width, with a small gap after it."""
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(
            self.width, size * LINE_MM_PER_PT, text, new_x="LMARGIN", new_y="NEXT", align="L"
        )
        self.pdf.ln(1)

    def bullet(self, text: str, size: float = 10) -> None:
        """One bulleted paragraph."""
        self.paragraph("• " + text, size)

    def image_height(self, png: bytes, width_mm: float | None = None) -> float:
        """Height (mm) of ``png`` printed ``width_mm`` wide (default: the page width)."""
        with Image.open(io.BytesIO(png)) as image:
            pixels_wide, pixels_high = image.size
        return (width_mm or self.width) * pixels_high / pixels_wide

    def min_image_height(self, png: bytes, width_mm: float | None = None) -> float:
        """The smallest height ``png`` may shrink to (:data:`MIN_IMAGE_SCALE`), mm: what a
        heading above it keeps with it."""
        return self.image_height(png, width_mm) * MIN_IMAGE_SCALE

    def image(self, png: bytes, width_mm: float | None = None) -> None:
        """A centred PNG, shrunk to the space left when it would otherwise jump a page."""
        width = width_mm or self.width
        height = self.image_height(png, width)
        room = self.space_left() - 2
        if height > room and height * MIN_IMAGE_SCALE <= room:
            width, height = width * room / height, room
        self.ensure(height)
        x = self.pdf.l_margin + (self.width - width) / 2
        self.pdf.image(io.BytesIO(png), x=x, w=width, h=height)
        self.pdf.ln(2)

    def image_beside(
        self, png: bytes, image_mm: float, title: str, lines: Sequence[str], size: float = 9
    ) -> None:
        """An image ``image_mm`` wide with a bold ``title`` and ``lines`` to its right,
        kept together on one page."""
        pdf = self.pdf
        text_width = self.width - image_mm - 4
        text_height = self._text_height(title, size + 2, "B", text_width) + sum(
            self._text_height(line, size, "", text_width) for line in lines
        )
        height = max(self.image_height(png, image_mm), text_height)
        self.ensure(height + 4)
        top = pdf.get_y() + 2
        pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=image_mm)
        pdf.set_xy(pdf.l_margin + image_mm + 4, top)
        pdf.set_font(FONT, "B", size + 2)
        pdf.multi_cell(text_width, (size + 2) * LINE_MM_PER_PT + 1, title, new_x="LEFT")
        pdf.set_font(FONT, "", size)
        for line in lines:
            pdf.multi_cell(text_width, size * LINE_MM_PER_PT + 0.5, line, new_x="LEFT")
        pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + height) + 2)

    def table(
        self, rows: Sequence[Sequence[object]], col_widths: Sequence[float], size: float = 8
    ) -> None:
        """A table whose first row is the header (repeated on each page it spans)."""
        self.pdf.set_font(FONT, "", size)
        with self.pdf.table(col_widths=tuple(col_widths), text_align="LEFT") as grid:
            for row in rows:
                grid.row([str(value) for value in row])
        self.pdf.ln(2)

    def output(self) -> bytes:
        """The document as PDF bytes."""
        return bytes(self.pdf.output())


__all__ = ["FONT_DIR", "KEEP_WITH_NEXT_MM", "MIN_IMAGE_SCALE", "PdfDocument"]
