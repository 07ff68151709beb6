"""Who may open which page, checked on the server for every request.

The navigation registers only :func:`pages_for_role`'s pages, and each partner page also
calls :func:`require_role` first, so neither a hidden menu entry nor a typed URL opens a
page outside the user's role.
"""

from __future__ import annotations

from geo.partners.config import COORDINATOR, FUNDER, PARTNER, POLICE, ROLES
from geo.partners.errors import RoleRefusedError

#: Partner page name -> roles allowed to open it.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "report": frozenset({PARTNER, COORDINATOR, POLICE}),
    "good_news": frozenset({PARTNER, COORDINATOR, POLICE}),
    "outcomes": frozenset({COORDINATOR, POLICE}),
    "partner_reports": frozenset({PARTNER, COORDINATOR, POLICE, FUNDER}),
    "subjects": frozenset({COORDINATOR, POLICE}),
    "gallery": frozenset({PARTNER, COORDINATOR, POLICE}),
    "meeting_pack": frozenset({COORDINATOR, POLICE, FUNDER}),
    "patterns": frozenset({PARTNER, COORDINATOR, POLICE}),
}

_PLURAL = {PARTNER: "partners", COORDINATOR: "coordinators", POLICE: "police", FUNDER: "funders"}


def pages_for_role(role: str | None) -> list[str]:
    """Partner pages the role may open, in menu order (none when signed out)."""
    return [page for page, allowed in PAGE_ROLES.items() if role in allowed]


def require_role(role: str | None, allowed: frozenset[str] | set[str], what: str) -> None:
    """Raise :class:`RoleRefusedError` unless ``role`` is one of ``allowed``."""
    if role in allowed:
        return
    who = " and ".join(_PLURAL[r] for r in ROLES if r in allowed)
    current = f"signed in as {role}" if role else "not signed in"
    raise RoleRefusedError(f"{what} is for {who} only; you are {current}")
