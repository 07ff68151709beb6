"""Study design, panels, evaluate(), the impact CLI and the funder report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.checks import GeoInputError
from geo.cli import main
from geo.hotspots.dbscan import find_hotspots
from geo.impact import design
from geo.impact.evaluate import (
    dosage_vs_change,
    evaluate,
    figures_table,
    impact_json,
    store_missing_months,
)
from geo.impact.report import report_csv, report_html, report_images, report_pdf
from geo.io import datasets, store
from geo.schema import ASB, BNG, WGS84
from geo.timeseries import month_range

ROOT = Path(__file__).resolve().parents[1]
LSOA_CSV = ROOT / "data" / "lsoa-counts" / "torbay-lsoa-monthly-all-crime.csv"
FUNDING = "2024-06-01"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def asb() -> gpd.GeoDataFrame:
    return store.read_incidents(datasets.get_dataset("torbay").incidents_path, categories=[ASB])


@pytest.fixture(scope="module")
def missing() -> list[str]:
    return datasets.load_summary("torbay")["months_missing"]["Devon & Cornwall Police"]


@pytest.fixture(scope="module")
def months(missing) -> list[str]:
    return [m for m in month_range("2024-01", "2025-12") if m not in missing]


@pytest.fixture(scope="module")
def hotspots(asb) -> gpd.GeoDataFrame:
    return find_hotspots(asb, 100, 30, study_area=datasets.load_study_area("torbay")).hotspots


@pytest.fixture(scope="module")
def treated(hotspots) -> gpd.GeoDataFrame:
    return design.select_hotspots(hotspots, ["Castle Circus"])


@pytest.fixture(scope="module")
def result(asb, hotspots, treated, missing):
    lsoa = (design.read_lsoa_monthly(LSOA_CSV), datasets.load_boundaries("torbay"))
    return evaluate(
        asb,
        treated,
        FUNDING,
        candidates=hotspots,
        months=("2024-01", "2025-12"),
        missing_months=missing,
        lsoa=lsoa,
    )


def _incidents(xy: np.ndarray, months: list[str]) -> gpd.GeoDataFrame:
    """Canonical-enough incidents at BNG points ``xy``, one month label each."""
    points = gpd.GeoSeries(shapely.points(xy), crs=BNG).to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            "month": pd.to_datetime([m + "-01" for m in months]).date,
            "category": ASB,
            "location": "On or near Test Street",
            "easting": xy[:, 0],
            "northing": xy[:, 1],
        },
        geometry=points.to_numpy(),
        crs=WGS84,
    )


def _square(x: float, y: float, size: float = 100.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


# --------------------------------------------------------------------------- areas


def test_select_hotspots_by_name_and_id(hotspots, treated):
    assert len(treated) == 1 and "Castle Circus" in treated["name"].iloc[0]
    by_id = design.select_hotspots(hotspots, [treated["area_id"].iloc[0]])
    assert by_id["area_id"].tolist() == treated["area_id"].tolist()
    assert treated.crs == BNG
    with pytest.raises(GeoInputError, match="no hotspot has id or name 'Atlantis'"):
        design.select_hotspots(hotspots, ["Atlantis"])


def test_read_areas_from_csv_and_geojson(tmp_path, hotspots, treated):
    names = tmp_path / "funded.csv"
    names.write_text("name\nCastle Circus\n")
    assert (
        design.read_areas(names, hotspots=hotspots)["area_id"].tolist()
        == treated["area_id"].tolist()
    )
    geojson = tmp_path / "funded.geojson"
    hotspots[hotspots["hotspot_id"] == int(treated["area_id"].iloc[0])].to_file(geojson)
    from_file = design.read_areas(geojson)
    assert from_file["area_id"].tolist() == treated["area_id"].tolist()
    assert from_file.geometry.iloc[0].equals_exact(treated.geometry.iloc[0], 0.01)
    codes = tmp_path / "lsoas.csv"
    codes.write_text("lsoa_code\nE01015183\n")
    lsoas = design.read_areas(codes, boundaries=datasets.load_boundaries("torbay"))
    assert lsoas["kind"].tolist() == ["lsoa"]
    bad = tmp_path / "bad.csv"
    bad.write_text("colour\nred\n")
    with pytest.raises(GeoInputError, match="bad.csv: the CSV has no 'id', 'name'"):
        design.read_areas(bad, hotspots=hotspots)


# --------------------------------------------------------------------------- buffer


def test_buffer_ring_excludes_treated_and_has_the_right_width():
    treated = design.as_areas(
        gpd.GeoDataFrame({"id": [1]}, geometry=[_square(0, 0)], crs=BNG), kind="polygon"
    )
    ring = design.displacement_buffer(treated, 100).geometry.iloc[0]
    assert shapely.intersection(ring, treated.geometry.iloc[0]).area == pytest.approx(0, abs=1e-6)
    # Square 100 m + ring 100 m with round corners: (100 + 200)^2 - 4 corners cut - inner square.
    expected = 300**2 - (4 - np.pi) * 100**2 - 100**2
    assert ring.area == pytest.approx(expected, rel=5e-3)  # arcs are 8-segment polylines
    assert ring.contains(shapely.Point(150, 50)) and not ring.contains(shapely.Point(50, 50))


def test_buffer_counts_exclude_treated_incidents(asb, treated, months):
    ring = design.displacement_buffer(treated, 100)
    counts = design.count_incidents(asb, pd.concat([treated, ring]), months)
    inside = gpd.GeoSeries(shapely.points(asb[["easting", "northing"]].to_numpy()), crs=BNG)
    in_treated = inside.within(treated.geometry.iloc[0])
    in_ring = inside.intersects(ring.geometry.iloc[0])
    assert not (in_treated & in_ring).any()
    assert counts.loc[counts["area_id"] == "buffer", "count"].sum() == in_ring.sum()


# --------------------------------------------------------------------------- counts


def test_counts_equal_a_hand_count_for_one_month(asb, treated, months):
    counts = design.count_incidents(asb, treated, months)
    polygon = treated.geometry.iloc[0]
    march = asb[pd.to_datetime(asb["month"].astype(str)).dt.strftime("%Y-%m") == "2025-03"]
    hand = sum(
        polygon.covers(shapely.Point(e, n))
        for e, n in zip(march["easting"], march["northing"], strict=True)
    )
    got = counts.loc[counts["month"] == "2025-03", "count"].item()
    assert got == hand and hand > 0


def test_missing_months_have_no_rows(asb, treated, months, missing, result):
    counts = design.count_incidents(asb, treated, months)
    assert not set(counts["month"]) & set(missing)
    assert set(counts["month"]) == set(months)
    assert not set(result.counts["month"]) & set(missing)
    assert not set(result.panel["month"]) & set(missing)
    gaps = result.series[result.series["month"].isin(missing)]
    assert len(gaps) and gaps["count"].isna().all()
    assert result.months_missing == tuple(missing)


# --------------------------------------------------------------------------- comparison


def test_auto_comparison_is_never_adjacent(result, treated):
    core = treated.geometry.iloc[0]
    for geometry in result.comparison.geometry:
        assert geometry.distance(core) > 100
        assert not geometry.intersects(result.buffer.geometry.iloc[0])
    table = result.candidates
    near = table[table["reason"].str.contains("within 100 m|overlaps", regex=True)]
    assert len(near) >= 1 and not near["chosen"].any()
    assert table["chosen"].sum() == 3 == len(result.comparison)


def test_suggest_comparison_prefers_similar_level_and_trend():
    treated = design.as_areas(
        gpd.GeoDataFrame({"id": ["T"]}, geometry=[_square(0, 0)], crs=BNG), kind="polygon"
    )
    candidates = design.as_areas(
        gpd.GeoDataFrame(
            {"id": ["near", "alike", "busy", "rising"]},
            geometry=[_square(150, 0), _square(1000, 0), _square(2000, 0), _square(3000, 0)],
            crs=BNG,
        ),
        kind="polygon",
    )
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    level = {
        "T": [10, 10, 10, 10],
        "near": [10] * 4,
        "alike": [11, 10, 11, 10],
        "busy": [90, 95, 90, 95],
        "rising": [2, 6, 12, 30],
    }
    counts = pd.DataFrame(
        [(a, m, c) for a, cs in level.items() for m, c in zip(months, cs, strict=True)],
        columns=["area_id", "month", "count"],
    )
    choice = design.suggest_comparison(candidates, treated, counts, months, buffer_m=100, n=1)
    assert choice.areas["area_id"].tolist() == ["alike"]
    reasons = choice.table.set_index("area_id")["reason"]
    assert reasons["near"] == "within 100 m of a treated area"
    with pytest.raises(GeoInputError, match="within 100 m of a treated area"):
        design.check_comparison(candidates[candidates["area_id"] == "near"], treated, 100)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_recovers_a_known_effect():
    """Treated 40 -> 20 a month, comparison 40 -> 40, buffer 10 -> 10: rate ratio 0.5."""
    rng = np.random.default_rng(6)
    months = month_range("2024-01", "2025-12")
    squares = {"T": _square(0, 0), "C1": _square(2000, 0), "C2": _square(4000, 0)}
    ring_spot = (50.0, 150.0)  # 50 m north of the treated square: inside the 100 m ring
    xy, labels = [], []
    for month in months:
        after = month >= "2024-07"
        for name, square in squares.items():
            n = rng.poisson(20 if name == "T" and after else 40)
            x0, y0 = square.bounds[:2]
            xy += list(rng.uniform([x0 + 1, y0 + 1], [x0 + 99, y0 + 99], size=(n, 2)))
            labels += [month] * n
        n = rng.poisson(10)
        xy += [ring_spot] * n
        labels += [month] * n
    incidents = _incidents(np.array(xy) + [280_000, 60_000], labels)
    offset = shapely.affinity.translate
    areas = gpd.GeoDataFrame(
        {"id": list(squares)},
        geometry=[offset(s, 280_000, 60_000) for s in squares.values()],
        crs=BNG,
    )
    result = evaluate(
        incidents,
        areas.iloc[[0]],
        "2024-07-01",
        comparison=areas.iloc[1:],
        missing_months=["2024-03"],
    )
    assert result.did.ci_low < 0.5 < result.did.ci_high and result.did.ci_high < 1
    assert "fell" in result.headline
    # 2024-03 has no data, so March is in neither window (season matching).
    assert result.windows.before == ("2024-01", "2024-02", "2024-04", "2024-05", "2024-06")
    assert result.windows.after == ("2025-01", "2025-02", "2025-04", "2025-05", "2025-06")
    assert result.totals["buffer_before"] > 0
    assert result.comparison_method == "chosen"


def test_changing_buffer_or_funding_date_changes_the_result(asb, treated, hotspots, missing):
    def run(buffer_m, funding):
        return evaluate(
            asb,
            treated,
            funding,
            candidates=hotspots,
            buffer_m=buffer_m,
            months=("2024-01", "2025-12"),
            missing_months=missing,
        )

    base = run(100, FUNDING)
    wider = run(200, FUNDING)
    later = run(100, "2025-04-01")
    assert wider.totals["buffer_before"] > base.totals["buffer_before"]
    assert later.windows.before != base.windows.before
    assert later.did.rate_ratio != base.did.rate_ratio


def test_season_matched_windows_on_torbay(result):
    assert result.windows.before == ("2024-01", "2024-02", "2024-03", "2024-04")
    assert result.windows.after == ("2025-01", "2025-02", "2025-03", "2025-04")
    panel_months = set(result.panel["month"])
    assert panel_months == set(result.windows.before) | set(result.windows.after)


def test_months_without_any_incident_are_missing_by_default(asb, treated, hotspots, result):
    """Without the ingest summary, empty months must not become zeros in the panel."""
    guessed = evaluate(asb, treated, FUNDING, candidates=hotspots)
    assert guessed.windows == result.windows
    assert not set(guessed.panel["month"]) & {f"2024-{m:02d}" for m in range(5, 13)}


def test_lsoa_series_and_trends(result, tmp_path):
    series = design.read_lsoa_monthly(LSOA_CSV)
    assert series.missing_months == ()
    assert series.counts["month"].min() == "2022-05" and series.counts["month"].max() == "2025-04"
    assert result.lsoa_trends is not None and result.lsoa_trends.n_months == 25
    assert "all crime incl. ASB" in result.lsoa_trends.reason
    assert result.key_trends is result.lsoa_trends
    gappy = tmp_path / "gappy.csv"
    table = pd.read_csv(LSOA_CSV)
    table[table["month"] != "2023-02"].to_csv(gappy, index=False)
    assert design.read_lsoa_monthly(gappy).missing_months == ("2023-02",)
    panel = design.lsoa_panel(series, ["E01015256"], ["E01015232"], "2024-06-15")
    assert "2024-06" not in set(panel["month"])  # transition month left out
    assert panel.loc[panel["month"] == "2024-07", "post"].all()


def test_caveats_and_headline_are_honest(result):
    weak = result.did.ci_low <= 1 <= result.did.ci_high
    assert ("evidence is weak" in result.headline) == weak
    text = " ".join(result.caveats)
    assert "2024-05" in text and "anonymous map points" in text
    assert "COVID" not in text  # no 2020-21 month is used


def test_dosage_vs_change_joins_patrol_minutes(result):
    change = pd.DataFrame(
        {
            "hotspot_id": [result.treated["area_id"].iloc[0]],
            "role": ["all"],
            "metric": ["patrol_minutes_per_week"],
            "before": [10.0],
            "after": [70.0],
            "change": [60.0],
            "pct_change": [600.0],
        }
    )
    table = dosage_vs_change(result, change)
    row = table[table["group"] == "treated"].iloc[0]
    assert row["minutes_per_week_change"] == 60
    assert row["incidents_before"] == result.totals["treated_before"]
    assert table.loc[table["group"] == "comparison", "minutes_per_week_change"].isna().all()


# --------------------------------------------------------------------------- JSON and CLI


IMPACT_KEYS = {
    "rate_ratio",
    "ci_low",
    "ci_high",
    "wdd",
    "wdd_z",
    "wdq",
    "before",
    "after",
    "treated",
    "comparison",
}


def test_impact_json_keys_and_values(result):
    data = json.loads(json.dumps(impact_json(result)))
    assert set(data) >= IMPACT_KEYS
    assert data["rate_ratio"] == pytest.approx(result.did.rate_ratio, abs=1e-6)
    # NaN (no buffer incidents to weigh) becomes null in JSON; a number stays the number.
    if np.isnan(result.wdq.wdq):
        assert data["wdq"] is None
    else:
        assert data["wdq"] == pytest.approx(result.wdq.wdq, abs=1e-6)
    assert data["before"] == list(result.windows.before)
    assert [a["id"] for a in data["treated"]] == result.treated["area_id"].tolist()
    assert all("reason" in area for area in data["comparison"])


def test_cli_impact_writes_impact_json(tmp_path, hotspots, treated, result):
    treated_file = tmp_path / "treated.geojson"
    hotspots[hotspots["hotspot_id"].astype(str).isin(treated["area_id"])].to_file(treated_file)
    out = tmp_path / "IMPACT.json"
    args = [
        "impact",
        str(ROOT / "data" / "incidents" / "torbay.parquet"),
        "--treated",
        str(treated_file),
        "--funding-date",
        FUNDING,
        "--lsoa-counts",
        str(LSOA_CSV),
        "--boundaries",
        str(ROOT / "data" / "boundaries" / "torbay-lsoa.geojson"),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    data = json.loads(out.read_text())
    assert set(data) >= IMPACT_KEYS
    assert data["before"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert data["treated"][0]["name"] == treated["name"].iloc[0]
    assert len(data["comparison"]) == 3


def test_cli_impact_bad_input_is_one_line(tmp_path, capsys):
    code = main(
        [
            "impact",
            str(ROOT / "data" / "incidents" / "torbay.parquet"),
            "--treated",
            str(tmp_path / "nope.geojson"),
            "--funding-date",
            FUNDING,
            "--out",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_store_missing_months():
    path = ROOT / "data" / "incidents" / "torbay.parquet"
    assert store_missing_months(path) == tuple(f"2024-{m:02d}" for m in range(5, 13))


# --------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def images(result):
    return report_images(result)


def test_html_report_is_self_contained(result, images):
    page = report_html(result, images=images)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", page)
    assert (
        page.count('src="data:image/png;base64,') == 5
    )  # map, monthly series, trends, placebo distribution, event study
    assert result.headline.split(":")[0] in page
    assert "Caveats" in page and "Method" in page


def test_pdf_report_has_pages_and_text(result, images):
    pdf = report_pdf(result, images=images)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) > 1


def test_csv_of_figures(result):
    lines = report_csv(result).splitlines()
    assert lines[0] == "figure,value,note"
    table = figures_table(result)
    value = table.set_index("figure").loc["rate ratio (DiD)", "value"]
    assert value == pytest.approx(result.did.rate_ratio)


# --------------------------------------------------------------------------- review additions


def test_funding_flags_mark_the_transition_month():
    post, transition = design.funding_flags(["2024-05", "2024-06", "2024-07"], "2024-06-15")
    assert post.tolist() == [False, False, True]
    assert transition.tolist() == [False, True, False]
    post, transition = design.funding_flags(["2024-05", "2024-06"], "2024-06-01")
    assert post.tolist() == [False, True] and not transition.any()


def test_street_trend_check_leaves_out_the_transition_month(asb, treated, hotspots, missing):
    # Funding on 2024-04-15: April 2024 is neither before nor after, so only Jan-Mar remain.
    result = evaluate(
        asb,
        treated,
        "2024-04-15",
        candidates=hotspots,
        months=("2024-01", "2025-12"),
        missing_months=missing,
    )
    assert result.trends.n_months == 3


def test_read_lsoa_monthly_rejects_a_file_without_counts(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("lsoa_code,month,all_crime\nE01015183,2024-01,\n")
    with pytest.raises(GeoInputError, match="LSOA monthly counts"):
        design.read_lsoa_monthly(empty)


def test_wdd_is_explained_wherever_it_is_shown(result):
    reading = result.wdd_reading
    assert reading.startswith("How to read WDD")
    if result.wdd.p_value < 0.05 and not result.did.excludes_no_change:
        # Torbay: WDD "significant" while the rate ratio CI includes no change.
        assert "says nothing about the scheme's effect" in reading
        assert "includes no change" in reading
    assert impact_json(result)["wdd_reading"] == reading
    notes = figures_table(result).set_index("figure")["note"]
    assert notes["WDD"] == reading
    assert "not the scheme's effect" in notes["WDD z"]
    assert "How to read WDD" in report_csv(result)


def test_report_lists_synthetic_patrols_when_dosage_is_shown(result, images):
    from geo.caveats import SYNTHETIC_PATROLS
    from geo.impact.report import report_caveats

    dosage = pd.DataFrame(
        {
            "area_id": ["1"],
            "name": ["A"],
            "group": ["treated"],
            "minutes_per_week_change": [5.0],
            "incidents_pct_change": [-10.0],
        }
    )
    assert SYNTHETIC_PATROLS not in report_caveats(result)
    assert report_caveats(result, dosage)[-1] == SYNTHETIC_PATROLS
    page = report_html(result, dosage, images=images)
    assert "SYNTHETIC demonstration data" in page
    assert "How to read WDD" in page


def test_report_never_prints_counts_in_scientific_notation():
    from geo.impact.report import _display_value

    assert _display_value(1234.0) == "1,234"
    assert _display_value(1234.56) == "1,235"
    assert _display_value(0.04394) == "0.0439"
    assert _display_value(float("nan")) == "n/a"
    assert _display_value("2024-01") == "2024-01"


def test_auto_comparison_for_a_drawn_polygon_whose_id_clashes(asb, hotspots, treated, missing):
    # A polygon without ids gets id "1", like hotspot 1: it must be matched on its own baseline.
    drawn = gpd.GeoDataFrame(geometry=treated.geometry.buffer(-1), crs=BNG)
    kwargs = {"candidates": hotspots, "months": ("2024-01", "2025-12"), "missing_months": missing}
    from_drawn = evaluate(asb, drawn, FUNDING, **kwargs)
    from_hotspot = evaluate(asb, treated, FUNDING, **kwargs)
    assert from_drawn.treated["area_id"].tolist() == ["treated-1"]
    assert from_drawn.comparison["area_id"].tolist() == from_hotspot.comparison["area_id"].tolist()
    assert "1" in set(from_drawn.candidates["area_id"])  # hotspot 1 is still a candidate


def test_treated_place_is_found_by_name_then_by_the_gazetteer_point():
    from geo.impact.design import treated_by_place
    from geo.projection import bng_to_lonlat

    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": [1, 2], "name": ["Union Street", "The Strand / Fleet Street"]},
        geometry=[_square(0, 0), _square(1_000, 0)],
        crs=BNG,
    )
    lon, lat = bng_to_lonlat(np.array([1_050.0]), np.array([50.0]))
    gazetteer = pd.DataFrame({"name": ["Harbourside"], "lat": lat, "lon": lon})
    assert treated_by_place(hotspots, "fleet street", gazetteer) == "2"
    assert treated_by_place(hotspots, "Harbourside", gazetteer) == "2"  # no hotspot named so
    assert treated_by_place(hotspots, "Atlantis", gazetteer) is None
    assert treated_by_place(hotspots, None, gazetteer) is None
