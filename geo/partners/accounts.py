"""Organisations, premises and user accounts: argon2id passwords, lockout, idle timeout.

An :class:`Account` is what a page or the CLI holds for the signed-in user. Every store
function reloads the user from the database (:func:`load_actor`), so a role change or a
disabled account takes effect at once, whatever the page's session still holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.checks import check_choice, fail
from geo.partners import audit, config
from geo.partners.db import Database
from geo.partners.errors import SignInError
from geo.partners.models import Organisation, Partnership, Premises, User
from geo.partners.roles import require_role
from geo.projection import lonlat_to_bng

MIN_PASSWORD_CHARS = 10
_HASHER = PasswordHasher()  # argon2id with RFC 9106's low-memory parameters
# Verified against for unknown emails, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("no such user: timing equaliser")
_KIND_FOR_ROLE = {"partner": "business", "coordinator": "bid", "police": "police", "funder": "opcc"}


@dataclass(frozen=True)
class Account:
    """The signed-in user, as pages and the CLI hold it."""

    user_id: int
    email: str
    role: str
    organisation_id: int
    organisation: str


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (refused when shorter than 10 characters)."""
    if len(password) < MIN_PASSWORD_CHARS:
        fail(
            f"the password has {len(password)} characters",
            fix=f"Use at least {MIN_PASSWORD_CHARS}",
        )
    return _HASHER.hash(password)


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        fail(f"{email!r} is not an email address", fix="Give it as name@example.org")
    return email


# ---------------------------------------------------------------- organisations


def create_organisation(db: Database, name: str, kind: str) -> int:
    """Add an organisation (or return the existing one of that name); returns its id."""
    check_choice("kind", kind, config.ORGANISATION_KINDS)
    with db.write() as session:
        return _organisation(session, name, kind).id


def _organisation(session: Session, name: str, kind: str) -> Organisation:
    name = name.strip()
    if not name:
        fail("the organisation name is blank", fix="Give its name")
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name, kind=kind)
        session.add(found)
        session.flush()
        audit.record(session, None, "create", "organisation", found.id, name=name, kind=kind)
    return found


def add_premises(
    db: Database, organisation: str, name: str, address: str, *, longitude: float, latitude: float
) -> int:
    """Add premises to an existing organisation (idempotent by name); returns its id."""
    easting, northing = (float(v[0]) for v in lonlat_to_bng([longitude], [latitude]))
    with db.write() as session:
        org = session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            fail(f"no organisation is called {organisation!r}", fix="Create it first")
        found = session.scalar(
            select(Premises).where(Premises.organisation_id == org.id, Premises.name == name)
        )
        if found is not None:
            return found.id
        premises = Premises(
            organisation_id=org.id,
            name=name,
            address=address,
            longitude=longitude,
            latitude=latitude,
            easting=easting,
            northing=northing,
        )
        session.add(premises)
        session.flush()
        audit.record(session, None, "create", "premises", premises.id, name=name)
        return premises.id


def premises_of(db: Database, account: Account) -> pd.DataFrame:
    """The premises of the account's organisation (id, name, address, longitude, latitude)."""
    with db.read() as session:
        rows = session.scalars(
            select(Premises)
            .where(Premises.organisation_id == account.organisation_id)
            .order_by(Premises.name)
        ).all()
        return pd.DataFrame(
            [(p.id, p.name, p.address, p.longitude, p.latitude) for p in rows],
            columns=["id", "name", "address", "longitude", "latitude"],
        )


# ---------------------------------------------------------------- users


def create_user(db: Database, email: str, organisation: str, role: str, password: str) -> Account:
    """Add a user; the organisation is created when new, of a kind suited to the role."""
    check_choice("role", role, config.ROLES)
    email = normalise_email(email)
    password_hash = hash_password(password)
    with db.write() as session:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            fail(f"a user {email} already exists", fix="Choose another email")
        org = _organisation(session, organisation, _KIND_FOR_ROLE[role])
        user = User(
            email=email,
            organisation_id=org.id,
            role=role,
            password_hash=password_hash,
            disabled=False,
            failed_logins=0,
            created_at=audit.now_utc(),
        )
        session.add(user)
        session.flush()
        audit.record(session, None, "create", "user", user.id, email=email, role=role)
        return _account(user, org)


def disable_user(db: Database, email: str) -> None:
    """Stop a user signing in (the account and its reports stay)."""
    email = normalise_email(email)
    with db.write() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            fail(f"no user {email}", fix="Check the email with `partners user list`")
        user.disabled = True
        audit.record(session, None, "disable", "user", user.id, email=email)


def list_users(db: Database) -> pd.DataFrame:
    """Every user: email, organisation, role, disabled, locked until."""
    with db.read() as session:
        rows = session.execute(
            select(User, Organisation.name).join(Organisation).order_by(User.email)
        ).all()
        return pd.DataFrame(
            [
                (u.email, org, u.role, u.disabled, u.locked_until, u.last_login_at)
                for u, org in rows
            ],
            columns=["email", "organisation", "role", "disabled", "locked_until", "last_login"],
        )


def account_for_email(db: Database, email: str) -> Account:
    """The active account with this email (the CLI's ``--as``, run by an administrator)."""
    email = normalise_email(email)
    with db.read() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None or user.disabled:
            raise SignInError(f"no active user {email}; check it with `partners user list`")
        return _account(user, user.organisation)


def authenticate(
    db: Database, email: str, password: str, now: dt.datetime | None = None
) -> Account:
    """The account for a correct email and password, or :class:`SignInError`.

    Five wrong passwords in a row lock the account for 15 minutes; while locked even the
    right password is refused, and the attempt is not counted again.
    """
    now = now or audit.now_utc()
    email = email.strip().lower()
    with db.write() as session:
        user = session.scalar(select(User).where(User.email == email))
        refusal = _check_password(session, user, password, now)
        if refusal is None:
            return _account(user, user.organisation)
    raise SignInError(refusal)


def _check_password(
    session: Session, user: User | None, password: str, now: dt.datetime
) -> str | None:
    """Update the user's login counters; return why sign-in is refused, or None."""
    wrong = "The email or password is not right; check both and try again"
    if user is None:
        _verify(_DUMMY_HASH, password)
        return wrong
    if user.disabled:
        return "This account is disabled; ask your partnership coordinator"
    if user.locked_until is not None and user.locked_until > now:
        until = user.locked_until.strftime("%H:%M")
        return (
            f"This account is locked after {config.MAX_FAILED_LOGINS} failed sign-ins; "
            f"try again after {until}"
        )
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= config.MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + dt.timedelta(minutes=config.LOCKOUT_MINUTES)
            audit.record(session, user.id, "lock", "user", user.id)
            return (
                f"This account is now locked for {config.LOCKOUT_MINUTES} minutes after "
                f"{config.MAX_FAILED_LOGINS} failed sign-ins"
            )
        audit.record(session, user.id, "login_failed", "user", user.id)
        return wrong
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, user.id, "login", "user", user.id)
    return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_actor(session: Session, account: Account, allowed: frozenset[str] | None = None) -> User:
    """The account's user row, re-checked: active, and (optionally) one of ``allowed`` roles."""
    user = session.get(User, account.user_id)
    if user is None or user.disabled:
        raise SignInError("This account is disabled or removed; sign in again")
    if allowed is not None:
        require_role(user.role, allowed, "This action")
    return user


def current_account(db: Database, account: Account) -> Account:
    """The account as the database has it now (role or organisation may have changed)."""
    with db.read() as session:
        user = load_actor(session, account)
        return _account(user, user.organisation)


def session_expired(
    last_seen: dt.datetime | None, now: dt.datetime, idle_min: float | None = None
) -> bool:
    """True when more than ``idle_min`` minutes (default ``ASB_IDLE_MINUTES``) have passed."""
    if last_seen is None:
        return True
    limit = config.idle_minutes() if idle_min is None else idle_min
    return now - last_seen > dt.timedelta(minutes=limit)


def _account(user: User, organisation: Organisation) -> Account:
    return Account(user.id, user.email, user.role, organisation.id, organisation.name)


# ---------------------------------------------------------------- the partnership


def demo_in_use(db: Database) -> bool:
    """True while the seeded demo partnership is the one this database serves."""
    with db.read() as session:
        first = select(Partnership.is_demo).order_by(Partnership.id).limit(1)
        return bool(session.scalar(first))
