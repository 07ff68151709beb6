"""The hub's error types: each carries a one-line message that says what to change."""

from __future__ import annotations

from geo.checks import GeoInputError


class DatabaseUnavailableError(GeoInputError):
    """The database cannot be reached, is locked, or is not set up; nothing was saved."""


class RoleRefusedError(PermissionError):
    """The signed-in user's role (or organisation) may not do or see this."""


class SignInError(PermissionError):
    """Wrong email or password, a locked account or a disabled account."""
