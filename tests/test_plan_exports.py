"""Plan exports parse back: GPX 1.1 (gpxpy), GeoJSON, CSV; briefings are self-contained."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import geopandas as gpd
import gpxpy
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.planning import briefing, exports
from geo.planning.planner import PlanSettings, plan_patrols
from geo.schema import BNG


@pytest.fixture(scope="module")
def plan():
    boxes = shapely.box(290000 + 300 * np.arange(3), 63000, 290080 + 300 * np.arange(3), 63060)
    hotspots = gpd.GeoDataFrame(
        {
            "hotspot_id": [11, 12, 13],
            "name": ["Castle Circus", "Fleet Street – Strand", "<b>Pier</b>"],
        },
        geometry=boxes,
        crs=BNG,
    ).assign(risk=[6.0, 3.0, 1.0])
    return plan_patrols(hotspots, PlanSettings(6, units=2, plan_date=dt.date(2026, 1, 9)))


def test_gpx_is_valid_gpx_11_with_one_waypoint_per_hotspot(plan):
    text = exports.plan_gpx(plan)
    assert 'version="1.1"' in text and "http://www.topografix.com/GPX/1/1" in text
    parsed = gpxpy.parse(text)
    assert len(parsed.waypoints) == len(plan.plan)
    polygons = plan.plan.to_crs("EPSG:4326").geometry.to_numpy()
    for point, polygon, row in zip(parsed.waypoints, polygons, plan.plan.itertuples(), strict=True):
        assert polygon.contains(shapely.Point(point.longitude, point.latitude))
        assert point.name == f"#{row.plan_rank} {row.name}"
        assert point.comment.startswith(f"{row.visits_per_day} visits x 15 min")


def test_geojson_parses_with_plan_properties(plan):
    text = exports.plan_geojson(plan)
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    back = gpd.read_file(io.StringIO(text))
    assert len(back) == len(plan.plan)
    assert back["visits_per_day"].tolist() == plan.plan["visits_per_day"].tolist()
    assert back.crs.to_epsg() == 4326
    assert back.geometry.geom_type.eq("Polygon").all()


def test_csv_round_trips_the_plan(plan):
    back = pd.read_csv(io.StringIO(exports.plan_csv(plan)))
    assert back["hotspot_id"].tolist() == [11, 12, 13]
    assert back["minutes_per_day"].tolist() == plan.plan["minutes_per_day"].tolist()
    assert back["visit_times"].str.count(":").tolist() == plan.plan["visits_per_day"].tolist()
    schedule = pd.read_csv(io.StringIO(exports.schedule_csv(plan)))
    assert len(schedule) == plan.plan["visits_per_day"].sum()
    assert schedule["start"].str.endswith("+00:00").all()  # January: GMT offset written


def test_briefing_html_is_self_contained_and_escaped(plan):
    page = briefing.briefing_html(plan)
    assert page.count("src='data:image/png;base64,") == len(plan.plan)
    assert not re.search(r"(src|href)=['\"]https?:", page)
    assert "<b>Pier</b>" not in page and "&lt;b&gt;Pier&lt;/b&gt;" in page
    assert "4 visits x 15 min" in page or "visits x 15 min" in page


def test_briefing_pdf_is_a_pdf_with_every_hotspot(plan):
    pdf = briefing.briefing_pdf(plan)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Subtype /Image") >= len(plan.plan)


def test_small_map_is_a_png(plan):
    image = briefing.hotspot_map_png(plan, 0)
    assert image.startswith(b"\x89PNG")
