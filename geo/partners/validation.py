"""Checks on one incident report, each failing with a message that says what to change.

:func:`validate_report` collects every problem of a report, so a partner fixes them all
at once, and the bulk import keeps them as the rejected row's reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.checks import GeoInputError
from geo.partners import config
from geo.partners.models import LONDON
from geo.schema import WGS84

#: Reports may be a minute "in the future" to allow for clocks that differ a little.
CLOCK_SLACK = dt.timedelta(minutes=1)
MAX_POLICE_REFERENCE_CHARS = 50


class ReportRejectedError(GeoInputError):
    """A report with one or more problems; ``problems`` lists them, the message joins them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CleanReport:
    """A report's values after validation, ready to store."""

    occurred_at: dt.datetime
    category: str
    description: str
    loss_gbp: Decimal | None
    police_reference: str | None


def parse_occurred_at(value: Any, now: dt.datetime) -> dt.datetime:
    """ISO 8601 text or a datetime, local (Europe/London) time when it has no offset."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("occurred_at is blank: give the date and time it happened")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"occurred_at {text!r} is not a date and time: write it as 2026-03-01T14:30"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    if moment > now + CLOCK_SLACK:
        shown = moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
        raise ValueError(
            f"occurred_at {shown} is in the future: give the time it happened, now or earlier"
        )
    return moment.astimezone(LONDON)


def parse_loss(value: Any) -> Decimal | None:
    """Loss in pounds, blank for none; refused when negative or not a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().removeprefix("£").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"loss_gbp {value!r} is not an amount: write pounds, e.g. 25.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"loss_gbp {value!r} is negative: give 0 or more (blank for none)")
    return amount.quantize(Decimal("0.01"))


def check_description(text: Any) -> str:
    """The description, at most 5,000 characters."""
    text = "" if text is None else str(text)
    if len(text) > config.MAX_DESCRIPTION_CHARS:
        raise ValueError(
            f"description has {len(text):,} characters: shorten it to "
            f"{config.MAX_DESCRIPTION_CHARS:,} or fewer"
        )
    return text


def check_category(value: Any, categories: list[str]) -> str:
    """The category as the list spells it (case and spaces do not matter)."""
    text = " ".join(str(value or "").split())
    by_key = {name.casefold(): name for name in categories}
    if text.casefold() not in by_key:
        raise ValueError(f"category {text!r} is not known: use one of {', '.join(categories)}")
    return by_key[text.casefold()]


def check_police_reference(value: Any) -> str | None:
    """Police reference text, blank for none, at most 50 characters."""
    text = str(value or "").strip()
    if len(text) > MAX_POLICE_REFERENCE_CHARS:
        raise ValueError(
            f"police_reference has {len(text)} characters: shorten it to "
            f"{MAX_POLICE_REFERENCE_CHARS} or fewer"
        )
    return text or None


def check_location(longitude: Any, latitude: Any) -> tuple[float, float]:
    """WGS84 longitude and latitude inside the partnership area."""
    try:
        lon, lat = float(longitude), float(latitude)
    except (TypeError, ValueError):
        raise ValueError(
            "latitude/longitude are missing or not numbers: click the map or choose premises"
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("latitude/longitude are not finite numbers: click the map again")
    if not partnership_area().contains(shapely.Point(lon, lat)):
        raise ValueError(
            f"the location ({lat:.5f}, {lon:.5f}) is outside the partnership area: "
            "choose a place inside it (latitude first, then longitude)"
        )
    return lon, lat


def validate_report(
    *,
    occurred_at: Any,
    category: Any,
    description: Any,
    loss_gbp: Any,
    police_reference: Any,
    categories: list[str],
    now: dt.datetime,
) -> CleanReport:
    """Every field except the location checked; :class:`ReportRejectedError` lists all problems."""
    problems: list[str] = []

    def attempt(check, *args):
        try:
            return check(*args)
        except ValueError as error:
            problems.append(str(error))
            return None

    clean = CleanReport(
        occurred_at=attempt(parse_occurred_at, occurred_at, now),
        category=attempt(check_category, category, categories),
        description=attempt(check_description, description),
        loss_gbp=attempt(parse_loss, loss_gbp),
        police_reference=attempt(check_police_reference, police_reference),
    )
    if problems:
        raise ReportRejectedError(problems)
    return clean


@lru_cache(maxsize=4)
def load_area(path: Path) -> BaseGeometry:
    """The union of a boundary file's polygons in WGS84, prepared for fast tests."""
    shape = gpd.read_file(path).to_crs(WGS84).union_all()
    shapely.prepare(shape)
    return shape


def partnership_area() -> BaseGeometry:
    """The partnership's area (the demo scheme: Torbay)."""
    return load_area(config.PARTNERSHIP_AREA_FILE)
