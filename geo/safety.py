"""Text that came from users or data files, made safe to show and to export.

Location text, hotspot names, unit ids, partner descriptions and upload file names are
all attacker-controlled. Everything a user sees passes through :func:`escape_markdown`
(Streamlit Markdown) or :func:`escape_html` (folium popups, HTML reports), and every CSV
the project writes passes through :func:`csv_bytes` / :func:`write_csv`, which neutralise
spreadsheet formulas.

Formula neutralisation follows OWASP's "CSV Injection" guidance
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell that starts with
``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with a single quote, and
numbers stay numeric.
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters with a meaning in CommonMark or in Streamlit's Markdown extensions
# (":emoji:", ":red[...]", "$math$", "~strike~").
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def escape_markdown(value: Any) -> str:
    """``value`` as literal text for ``st.markdown``, ``st.title``, captions and labels.

    Every Markdown special character is backslash-escaped, so a Location such as
    ``![x](http://host/img.png)`` shows as text and never makes a browser fetch a URL.
    Line breaks become spaces: a name is one line.
    """
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def escape_html(value: Any) -> str:
    """``value`` as literal text inside HTML (popups, tooltips, reports); quotes included."""
    return html.escape("" if value is None else str(value), quote=True)


def escape_html_all(values: Iterable[Any]) -> list[str]:
    """:func:`escape_html` for each value (for vectorised popup columns)."""
    return [escape_html(value) for value in values]


def neutralise_formula(value: Any) -> Any:
    """One cell made safe for a spreadsheet: text starting a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula.

    Only object and string columns change; numeric, boolean and datetime columns are left
    as they are, so a negative number stays a number. Column names are treated too.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.map(neutralise_formula, na_action="ignore")
    out.columns = [neutralise_formula(str(name)) for name in out.columns]
    return out


def csv_text(frame: pd.DataFrame, **to_csv: Any) -> str:
    """``frame`` as CSV text with formulas neutralised (the one CSV writer for downloads)."""
    buffer = io.StringIO()
    # CRLF row ends (RFC 4180) make the writer quote any cell holding a CR or LF; with
    # "\n" alone a bare CR stays unquoted and a spreadsheet starts a new row there, where
    # "x\r=HYPERLINK(...)" would become a live formula.
    to_csv.setdefault("lineterminator", "\r\n")
    neutralise_formulas(frame).to_csv(buffer, index=False, **to_csv)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame, **to_csv: Any) -> bytes:
    """:func:`csv_text` encoded as UTF-8, for ``st.download_button``."""
    return csv_text(frame, **to_csv).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as formula-safe CSV to ``path`` atomically; returns the path."""
    path = Path(path)
    return write_bytes_atomic(path, csv_bytes(frame, **to_csv))


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file, and a failure leaves any earlier file whole.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
