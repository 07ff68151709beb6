"""The canonical incident schema, documented in one place.

Every reader in :mod:`geo.ingest` produces exactly these columns, and every other module
relies on them. Coordinates are stored twice: ``geometry`` as points in WGS84
(``EPSG:4326``, what police.uk publishes) and ``easting``/``northing`` in metres on the
British National Grid (``EPSG:27700``), which all distance work uses.

| column        | type                                   | meaning |
|---------------|----------------------------------------|---------|
| incident_id   | string, nullable                       | source id (police.uk ``Crime ID``; blank for ASB rows) |
| month         | date (first day of the month)          | month the incident was recorded in |
| occurred_at   | timestamp, tz ``Europe/London``, nullable | exact time when the source has one (police.uk has months only) |
| category      | string                                 | crime type / incident category |
| location      | string, nullable                       | location text, e.g. "On or near Castle Circus" |
| lsoa_code     | string, nullable                       | LSOA code as published (2011 or 2021 vintage) |
| lsoa_name     | string, nullable                       | LSOA name as published |
| force         | string, nullable                       | force that provided the data (police.uk ``Falls within``) |
| outcome       | string, nullable                       | last outcome category (blank for ASB) |
| source        | string                                 | file the row came from (basename, or ``zip!member``) |
| easting       | float64, metres, EPSG:27700            | British National Grid x |
| northing      | float64, metres, EPSG:27700            | British National Grid y |
| geometry      | Point, EPSG:4326                       | longitude/latitude |
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

TIMEZONE = "Europe/London"
WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

ASB = "Anti-social behaviour"

INCIDENT_COLUMNS: tuple[str, ...] = (
    "incident_id",
    "month",
    "occurred_at",
    "category",
    "location",
    "lsoa_code",
    "lsoa_name",
    "force",
    "outcome",
    "source",
    "easting",
    "northing",
    "geometry",
)

#: Arrow types of the non-geometry columns, as written to GeoParquet.
ARROW_SCHEMA = pa.schema(
    [
        ("incident_id", pa.string()),
        ("month", pa.date32()),
        ("occurred_at", pa.timestamp("us", tz=TIMEZONE)),
        ("category", pa.string()),
        ("location", pa.string()),
        ("lsoa_code", pa.string()),
        ("lsoa_name", pa.string()),
        ("force", pa.string()),
        ("outcome", pa.string()),
        ("source", pa.string()),
        ("easting", pa.float64()),
        ("northing", pa.float64()),
    ]
)

#: Columns of the rejected-rows table. ``line`` is the 1-based line in the source file
#: (the header is line 1); ``raw`` holds the row's original fields as JSON.
REJECTED_COLUMNS: tuple[str, ...] = ("source", "line", "reason", "detail", "raw")

#: Rejection reasons, worded for the data-coverage panel.
REASON_NO_COORDINATES = "no coordinates"
REASON_ZERO_COORDINATES = "coordinates at (0, 0)"
REASON_OUTSIDE_GB = "outside Great Britain"
REASON_BAD_MONTH = "unparsable month"
REASON_BAD_DATE = "unparsable date"
REASON_BAD_EASTING_NORTHING = "bad easting/northing"
REASON_DUPLICATE_ID = "duplicate id"
REASON_NO_CATEGORY = "no category"

REJECTION_REASONS: tuple[str, ...] = (
    REASON_NO_COORDINATES,
    REASON_ZERO_COORDINATES,
    REASON_OUTSIDE_GB,
    REASON_BAD_MONTH,
    REASON_BAD_DATE,
    REASON_BAD_EASTING_NORTHING,
    REASON_DUPLICATE_ID,
    REASON_NO_CATEGORY,
)

#: Great Britain on the British National Grid, metres (EPSG:27700). Generous on purpose:
#: it rejects (0, 0), lat/lon typed into easting/northing and other-continent points,
#: not coastal snap points.
GB_EXTENT_BNG = (-10_000.0, 0.0, 700_000.0, 1_250_000.0)


def month_start(values: pd.Series) -> pd.Series:
    """Return ``values`` (datetimes or periods) as the first day of their month (dates)."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp().dt.date
