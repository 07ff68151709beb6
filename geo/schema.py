"""The canonical incident schema, documented in one place.

Every reader in :mod:`geo.ingest` produces exactly these columns, and every other module
relies on them. Coordinates are stored twice: ``geometry`` as points in WGS84
(``EPSG:4326``, what police.uk publishes) and ``easting``/``northing`` in metres on the
British National Grid (``EPSG:27700``), which all distance work uses.

- ``incident_id``: string, nullable. Source id (police.uk ``Crime ID``; blank for ASB).
- ``month``: date, the first day of the month the incident was recorded in.
- ``occurred_at``: timestamp, tz ``Europe/London``, nullable. Exact time when the source
  has one (police.uk has months only).
- ``category``: string. Crime type or incident category.
- ``location``: string, nullable. Location text, e.g. "On or near Castle Circus".
- ``lsoa_code``, ``lsoa_name``: strings, nullable. LSOA as published (2011 or 2021 vintage).
- ``force``: string, nullable. Force that provided the data (police.uk ``Falls within``).
- ``outcome``: string, nullable. Last outcome category (blank for ASB).
- ``source``: string. File the row came from (path, or ``archive.zip!member``).
- ``easting``, ``northing``: float64 metres, British National Grid (EPSG:27700).
- ``geometry``: Point, longitude/latitude (EPSG:4326).
"""

from __future__ import annotations

import pyarrow as pa

TIMEZONE = "Europe/London"
WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

#: Longest gap between two patrol pings (minutes) bridged when the unit is in the hotspot at
#: both ends: shorter than a Koper dose (10 min), so a lost fix or two does not split a visit.
#: The one default for patrol dosage (:mod:`geo.patrols`), the ``coverage`` CLI and the
#: ``long gap`` ping flag (:mod:`geo.io.pings`); it lives in the core so that io can share it.
MAX_GAP_MIN = 10.0

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

#: Columns of the rejected-rows table. ``row`` is the 1-based data row in the source file
#: (the row after the header is 1); ``raw`` holds the row's original fields as JSON (the
#: raw text for a row with the wrong number of fields, and the parsed canonical fields
#: for a duplicate id, which is found after parsing).
REJECTED_COLUMNS: tuple[str, ...] = ("source", "row", "reason", "detail", "raw")

#: Rejection reasons, worded for the data-coverage panel.
REASON_NO_COORDINATES = "no coordinates"
REASON_ZERO_COORDINATES = "coordinates at (0, 0)"
REASON_OUTSIDE_GB = "outside Great Britain"
REASON_BAD_MONTH = "unparsable month"
REASON_BAD_DATE = "unparsable date"
REASON_BAD_EASTING_NORTHING = "bad easting/northing"
REASON_DUPLICATE_ID = "duplicate id"
REASON_NO_CATEGORY = "no category"
REASON_MALFORMED_ROW = "wrong number of fields"
REASON_NUL_BYTES = "contains NUL (binary) bytes"
REASON_MONTH_OUT_OF_RANGE = "month outside the plausible range"

REJECTION_REASONS: tuple[str, ...] = (
    REASON_NO_COORDINATES,
    REASON_ZERO_COORDINATES,
    REASON_OUTSIDE_GB,
    REASON_BAD_MONTH,
    REASON_BAD_DATE,
    REASON_BAD_EASTING_NORTHING,
    REASON_DUPLICATE_ID,
    REASON_NO_CATEGORY,
    REASON_MALFORMED_ROW,
    REASON_NUL_BYTES,
    REASON_MONTH_OUT_OF_RANGE,
)

#: Great Britain on the British National Grid, metres (EPSG:27700). Generous on purpose:
#: it rejects (0, 0), lat/lon typed into easting/northing and other-continent points,
#: not coastal snap points.
GB_EXTENT_BNG = (-10_000.0, 0.0, 700_000.0, 1_250_000.0)
