"""Constants and small helpers shared by the partnership hub tests."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo.partners import demo
from geo.partners.models import LONDON

PASSWORD = "correct horse battery"
#: Inside Torbay: Fleet Street, Torquay.
FLEET_STREET = {"latitude": 50.46315, "longitude": -3.52655}


def london(*args: int) -> dt.datetime:
    """A Europe/London datetime."""
    return dt.datetime(*args, tzinfo=LONDON)


ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")


def button(at: AppTest, label: str):
    """The button with this label."""
    return next(b for b in at.button if b.label == label)


def signed_in_app(email: str) -> AppTest:
    """The dashboard in AppTest, signed in as a demo account."""
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    at.switch_page(str(ROOT / "pages/login.py")).run()
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(demo.DEMO_PASSWORD)
    button(at, "Sign in").click().run()
    assert not at.exception
    return at


def registered(at: AppTest, page: str) -> bool:
    """Whether the navigation registered ``pages/<page>`` for the signed-in role."""
    try:
        at.switch_page(str(ROOT / "pages" / page))
    except ValueError:  # AppTest refuses pages the navigation did not register
        return False
    return True


def copy_of_demo(seeded: Path, target: Path) -> Path:
    """A private copy of the seeded demo folder (database and photos)."""
    shutil.copytree(seeded, target)
    return target
