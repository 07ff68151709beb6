"""The Impact page, headless with AppTest: it shows what geo's one evaluate says."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.impact.evaluate import evaluate_dataset

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def expected():
    """The page's default inputs through the same call the CLI and report make."""
    return evaluate_dataset("torbay", ["3"], "2024-06-01")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_impact_page_shows_the_evaluate_figures(expected):
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    at = at.switch_page("pages/impact.py").run()
    assert not at.exception
    raw = expected.raw_change
    assert _metric(at, "Treated (before → after)") == (
        f"{raw['treated_before']:,.0f} → {raw['treated_after']:,.0f}"
    )
    assert _metric(at, "Permutation p-value") == f"{expected.permutation.p_value:.2f}"
    assert _metric(at, "Smallest detectable fall (80% power)") == (
        f"{expected.power.detectable_fall_pct:.0f}%"
    )
    headlines = [w.value for w in [*at.success, *at.warning]]
    assert expected.headline in headlines
    headers = [h.value for h in at.subheader]
    assert "How unusual is the change? Placebo areas" in headers
    assert "Treated minus comparison, month by month" in headers
