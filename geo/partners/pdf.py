"""A4 PDFs for the hub (fpdf2 with matplotlib's DejaVu fonts, so "–" and any name render).

Every document can carry a watermark line at the foot of each page: galleries name the
viewer's organisation and the date, as the NBCC BCRP standards ask of shared images.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import pandas as pd
from fpdf import FPDF

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"


class HubPdf(FPDF):
    """An A4 document with DejaVu fonts, a page footer and an optional watermark."""

    def __init__(self, title: str, watermark: str = "") -> None:
        super().__init__(format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.watermark = watermark
        self.set_title(title)
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.heading(title, 16)

    def header(self) -> None:
        if self.watermark:
            self.set_font(FONT, "B", 9)
            self.set_text_color(170, 0, 0)
            self.cell(0, 5, self.watermark, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(120, 120, 120)
        line = f"{self.watermark} · page {self.page_no()}" if self.watermark else ""
        self.cell(0, 8, line or f"page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: int = 13) -> None:
        """A bold heading line."""
        self.set_font(FONT, "B", size)
        self.multi_cell(self.epw, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: int = 10) -> None:
        """Wrapped body text."""
        self.set_font(FONT, "", size)
        self.multi_cell(self.epw, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def table(self, frame: pd.DataFrame, size: int = 8) -> None:
        """A simple table of ``frame`` (all cells as text); "none" when it is empty."""
        if frame.empty:
            self.paragraph("None.")
            return
        self.set_font(FONT, "", size)
        with super().table(text_align="LEFT", line_height=4.5) as grid:
            grid.row([str(c) for c in frame.columns])
            for values in frame.itertuples(index=False):
                grid.row(["" if pd.isna(v) else str(v) for v in values])
        self.ln(2)

    def picture(self, data: bytes, width: float | None = None) -> None:
        """An embedded PNG or JPEG."""
        self.image(io.BytesIO(data), w=width or self.epw)
        self.ln(2)

    def bytes(self) -> bytes:
        """The finished document."""
        return bytes(self.output())
