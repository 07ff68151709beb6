"""Page layout rules for the printed PDFs (funder report, patrol briefing).

:class:`FlowPdf` is an A4 fpdf2 document with the DejaVu fonts that ship with
matplotlib (Unicode: en dashes, "×", "²"), page numbers, and two rules that printed
reports follow:

* keep with next: a heading never ends a page; it moves to the next page with at
  least the first lines (or the figure) that follow it;
* fill the page: a figure that does not fit the space left shrinks to fit it (down to
  :data:`MIN_FIGURE_SCALE` of its width) rather than leave more than half a page blank;
  only when even that does not fit does it go to the next page.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import matplotlib
from fpdf import FPDF

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


#: Smallest share of the text width a figure shrinks to in order to fill a page.
MIN_FIGURE_SCALE = 0.45


#: Height kept below a heading on its page when what follows is text, mm (3 lines).
KEEP_TEXT_MM = 16.0


class FlowPdf(FPDF):
    """A4 portrait document with DejaVu Sans, page numbers and the layout rules above."""

    def __init__(self, *, bottom_margin_mm: float = 15.0):
        super().__init__(format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        self.set_auto_page_break(True, margin=bottom_margin_mm)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 8, f"page {self.page_no()}", align="C")

    @property
    def room_mm(self) -> float:
        """Height left on the current page above the bottom margin, mm."""
        return self.page_break_trigger - self.get_y()

    @property
    def body_height_mm(self) -> float:
        """Height of a page between the margins, mm."""
        return self.page_break_trigger - self.t_margin

    def heading(self, text: str, size: float = 13, *, keep_mm: float = KEEP_TEXT_MM) -> None:
        """A bold heading kept with the next ``keep_mm`` of content (see
        :meth:`figure_keep_mm` for a figure)."""
        line = size * 0.6
        if self.room_mm < line + keep_mm and self.get_y() > self.t_margin + 1:
            self.add_page()
        self.set_font("DejaVu", "B", size)
        self.multi_cell(self.epw, line, text, new_x="LMARGIN", new_y="NEXT")

    def body(self, text: str, size: float = 10) -> None:
        """A paragraph of plain text."""
        self.set_font("DejaVu", "", size)
        self.multi_cell(self.epw, size / 2, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def figure_keep_mm(self, png: bytes) -> float:
        """The least height a figure can take (at :data:`MIN_FIGURE_SCALE`), mm: what a
        heading above it must keep with it."""
        width, height = png_size(png)
        return self.epw * MIN_FIGURE_SCALE * height / width + 2

    def figure(self, png: bytes) -> None:
        """A PNG figure across the text width, shrunk to fill the page when it would
        otherwise leave the page more than half blank; centred."""
        width, height = png_size(png)
        full_h = self.epw * height / width
        scale = min(1.0, self.body_height_mm / full_h)
        if full_h * scale > self.room_mm:
            fits = (self.room_mm - 1) / full_h
            half_empty = self.room_mm > self.body_height_mm / 2
            if fits >= MIN_FIGURE_SCALE or half_empty:
                scale = fits
            else:
                self.add_page()
        w = self.epw * scale
        self.image(io.BytesIO(png), x=self.l_margin + (self.epw - w) / 2, w=w)
        self.ln(2)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])
