"""``python -m geo partners ...``: set up the hub's database, manage users, import, export.

:func:`add_parser` registers the command on the main CLI's sub-parsers. Every failure
the user can act on (bad input, a refused role, a locked or unreachable database) ends
with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from geo.checks import GeoInputError
from geo.partners import config


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``partners`` and its sub-commands on the main CLI's ``subparsers``."""
    summary = (
        "partnership hub: database, users, bulk reports, exports, demo, digest, "
        "retention, subject access, meeting pack"
    )
    parser = subparsers.add_parser("partners", help=summary, description=summary)
    commands = parser.add_subparsers(dest="partners_command", required=True)

    commands.add_parser("init", help="create the database or upgrade it to the newest schema")
    migrate = commands.add_parser("migrate", help="step the schema back (--down)")
    migrate.add_argument("--down", action="store_true", required=True, help="one step back")

    user = commands.add_parser("user", help="add, disable or list users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a user (password read from stdin)")
    add.add_argument("email")
    add.add_argument("--org", required=True, help="organisation name (created when new)")
    add.add_argument("--role", required=True, choices=config.ROLES)
    add.add_argument("--password-stdin", action="store_true", required=True)
    disable = user_commands.add_parser("disable", help="stop a user signing in")
    disable.add_argument("email")
    user_commands.add_parser("list", help="list users")

    report = commands.add_parser("report", help="report incidents from a CSV, as a user")
    report.add_argument("--as", dest="as_email", required=True, metavar="EMAIL")
    report.add_argument("file", metavar="FILE.csv")
    report.add_argument("--rejected", help="CSV file for rejected rows, with reasons")

    export = commands.add_parser("export", help="export what a user may see to CSV")
    export.add_argument("--as", dest="as_email", required=True, metavar="EMAIL")
    export.add_argument("--out", required=True, metavar="FILE.csv")

    commands.add_parser("demo", help="seed the demo Torquay partnership (idempotent)")

    retention = commands.add_parser(
        "retention", help="list (or --apply: delete) subjects past the retention period"
    )
    retention.add_argument("--apply", action="store_true", help="delete them, with audit")

    sar = commands.add_parser("sar", help="subject access export: JSON + PDF of all held")
    sar.add_argument("reference", metavar="S-000123")
    sar.add_argument("--out", required=True, metavar="DIR")

    pack = commands.add_parser("pack", help="the monthly meeting pack (PDF, or HTML by suffix)")
    pack.add_argument("--month", metavar="YYYY-MM", help="default: latest month with reports")
    pack.add_argument("--edition", choices=("coordinator", "funder"), default="coordinator")
    pack.add_argument("--out", required=True, metavar="pack.pdf|pack.html")
    commands.add_parser("digest", help="email the weekly good-news digest (needs SMTP_URL)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run one ``partners`` sub-command; errors become one line and exit code 2."""
    from geo.partners.db import Database

    try:
        return _RUNNERS[args.partners_command](Database.from_environment(), args)
    except (GeoInputError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _init(db, _args) -> int:
    db.upgrade()
    print(f"{db.display_url} is at schema revision {db.current_revision()}")
    return 0


def _migrate(db, _args) -> int:
    db.downgrade()
    print(f"{db.display_url} stepped back to revision {db.current_revision() or 'empty'}")
    return 0


def _user(db, args) -> int:
    from geo.partners import accounts

    if args.user_command == "add":
        password = sys.stdin.readline().rstrip("\r\n")
        account = accounts.create_user(db, args.email, args.org, args.role, password)
        print(f"added {account.email} ({account.role}, {account.organisation})")
    elif args.user_command == "disable":
        accounts.disable_user(db, args.email)
        print(f"disabled {args.email}")
    else:
        print(accounts.list_users(db).to_string(index=False))
    return 0


def _report(db, args) -> int:
    from geo.partners import accounts, incidents
    from geo.safety import write_csv

    result = incidents.import_csv(db, accounts.account_for_email(db, args.as_email), args.file)
    print(result.summary())
    for row in result.rejected.itertuples():
        print(f"row {row.row}: {row.reason}", file=sys.stderr)
    if args.rejected:
        write_csv(result.rejected, args.rejected)
        print(f"wrote {len(result.rejected):,} rejected rows to {args.rejected}")
    return 0


def _export(db, args) -> int:
    from geo.partners import accounts, incidents
    from geo.safety import write_csv

    frame = incidents.export_visible(db, accounts.account_for_email(db, args.as_email))
    write_csv(frame, args.out)
    print(f"wrote {len(frame):,} rows to {args.out}")
    return 0


def _demo(db, _args) -> int:
    from geo.partners.demo import seed_demo

    print(seed_demo(db))
    return 0


def _digest(db, _args) -> int:
    from geo.checks import fail
    from geo.partners.outcomes import send_digest

    smtp_url = os.environ.get("SMTP_URL")
    if not smtp_url:
        fail("SMTP_URL is not set", fix="Set it, e.g. SMTP_URL=smtp://localhost:8025")
    print(f"sent {send_digest(db, smtp_url)} digest email(s)")
    return 0


def _retention(db, args) -> int:
    from geo.partners import retention

    due = retention.apply_retention(db) if args.apply else retention.due_for_deletion(db)
    verb = "deleted" if args.apply else "would delete (run with --apply)"
    print(f"{verb} {len(due)} subject(s); retention {retention.retention_months(db)} months")
    for row in due.itertuples():
        print(f"{row.reference}: {row.reason}")
    return 0


def _sar(db, args) -> int:
    from geo.partners.sar import export_subject

    for path in export_subject(db, args.reference, args.out):
        print(f"wrote {path}")
    return 0


def _pack(db, args) -> int:
    from pathlib import Path

    from geo.partners import pack
    from geo.safety import write_bytes_atomic

    built = pack.build_pack(db, args.month, args.edition)
    out = Path(args.out)
    data = (
        pack.pack_html(built).encode()
        if out.suffix.lower() in {".html", ".htm"}
        else pack.pack_pdf(built)
    )
    write_bytes_atomic(out, data)
    print(f"wrote the {built.edition} pack for {built.month} to {out}")
    return 0


_RUNNERS = {
    "init": _init,
    "migrate": _migrate,
    "user": _user,
    "report": _report,
    "export": _export,
    "demo": _demo,
    "digest": _digest,
    "retention": _retention,
    "sar": _sar,
    "pack": _pack,
}
