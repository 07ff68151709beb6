"""The weekly good-news digest, received by a local SMTP server started by the test."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller
from hub_helpers import FLEET_STREET, london

from geo.cli import main
from geo.partners import accounts, incidents, outcomes
from geo.partners.db import Database


class _Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8")))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A local SMTP server; yields (url, inbox)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


def _arrest_after_report(db, people) -> str:
    reference = incidents.report_incident(
        db,
        people["shop_a"],
        occurred_at=london(2026, 1, 5, 10, 0),
        category="Shop theft",
        **FLEET_STREET,
    )
    outcomes.record_outcome(
        db, people["police"], "arrest", [reference], decided_on=dt.date(2026, 1, 20)
    )
    return reference


def test_digest_reaches_each_partner_with_news(db, people, smtp_server):
    url, inbox = smtp_server
    reference = _arrest_after_report(db, people)
    assert outcomes.send_digest(db, url) == 2  # both Shop A partners, not Shop B
    recipients = sorted(address for to, _ in inbox.messages for address in to)
    assert recipients == ["a2@shop-a.example", "a@shop-a.example"]
    assert f"An arrest was made after your report {reference}" in inbox.messages[0][1]


def test_digest_covers_the_last_seven_days_only(db, people, smtp_server):
    url, inbox = smtp_server
    _arrest_after_report(db, people)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    assert outcomes.send_digest(db, url, now=later) == 0
    assert inbox.messages == []


def test_cli_digest_sends_through_smtp_url(tmp_path, monkeypatch, capsys, smtp_server):
    url, inbox = smtp_server
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path))
    database = Database()
    database.upgrade()
    people = {
        "shop_a": accounts.create_user(database, "a@shop.example", "Shop", "partner", "x" * 10),
        "police": accounts.create_user(database, "pc@police.example", "Police", "police", "x" * 10),
    }
    _arrest_after_report(database, people)
    monkeypatch.setenv("SMTP_URL", url)
    assert main(["partners", "digest"]) == 0
    assert "sent 1 digest email" in capsys.readouterr().out
    assert [to for to, _ in inbox.messages] == [["a@shop.example"]]
