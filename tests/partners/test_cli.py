"""``python -m geo partners ...``: set-up, users, bulk report, export, one-line errors."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.cli import main
from geo.partners.db import Database, head_revision


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run the CLI against a fresh SQLite database in ``tmp_path``; returns (run, db)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path / "var"))

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["partners", *argv])

    return run, Database()


def test_init_and_migrate_down_step_through_revisions(cli, capsys):
    run, db = cli
    assert run("init") == 0
    assert db.current_revision() == head_revision()
    assert run("migrate", "--down") == 0
    assert db.current_revision() == "0002"
    assert run("init") == 0
    assert db.current_revision() == head_revision()
    assert "schema revision" in capsys.readouterr().out


def test_users_are_added_disabled_and_listed(cli, capsys):
    run, _ = cli
    run("init")
    add = ("user", "add", "Shop@Example.org", "--org", "Shop", "--role", "partner")
    assert run(*add, "--password-stdin", stdin="a long password\n") == 0
    assert run("user", "disable", "shop@example.org") == 0
    assert run("user", "list") == 0
    out = capsys.readouterr().out
    assert "shop@example.org" in out and "True" in out


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (
            ("user", "add", "x@y.org", "--org", "S", "--role", "partner", "--password-stdin"),
            "short",
            "at least 10",
        ),
        (("user", "disable", "nobody@y.org"), "", "no user nobody@y.org"),
        (("export", "--as", "nobody@y.org", "--out", "x.csv"), "", "no active user"),
    ],
)
def test_errors_are_one_line_and_exit_2(cli, capsys, argv, stdin, says):
    run, _ = cli
    run("init")
    capsys.readouterr()
    assert run(*argv, stdin=stdin) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_report_then_export_as_a_user(cli, tmp_path, capsys):
    run, db = cli
    run("init")
    add = ("user", "add", "a@shop.example", "--org", "Shop", "--role", "partner")
    run(*add, "--password-stdin", stdin="a long password\n")
    source = tmp_path / "reports.csv"
    source.write_text(
        "occurred_at,category,latitude,longitude,description,loss_gbp,police_reference\n"
        "2026-01-05T10:00,Shop theft,50.4631,-3.5265,=1+1,10,\n"
        "2026-01-05T11:00,Shop theft,50.4631,-3.5265,bad loss,-1,\n"
    )
    rejected = tmp_path / "rejected.csv"
    assert run("report", "--as", "a@shop.example", str(source), "--rejected", str(rejected)) == 0
    assert "read 2 rows: 1 reported, 1 rejected" in capsys.readouterr().out
    assert pd.read_csv(rejected)["row"].tolist() == [2]
    out = tmp_path / "export.csv"
    assert run("export", "--as", "a@shop.example", "--out", str(out)) == 0
    exported = pd.read_csv(out, dtype=str)
    assert exported["description"].tolist() == ["'=1+1"]
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM incident")).scalar() == 1
