"""Constants and small helpers shared by the partnership hub tests."""

from __future__ import annotations

import datetime as dt

from geo.partners.models import LONDON

PASSWORD = "correct horse battery"
#: Inside Torbay: Fleet Street, Torquay.
FLEET_STREET = {"latitude": 50.46315, "longitude": -3.52655}


def london(*args: int) -> dt.datetime:
    """A Europe/London datetime."""
    return dt.datetime(*args, tzinfo=LONDON)
