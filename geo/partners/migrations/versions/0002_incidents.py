"""Incidents, their updates, outcomes and good-news read receipts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geo.partners.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the incident tables."""
    op.create_table(
        "reference_counter",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("occurred_at", UTCDateTime, nullable=False, index=True),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("organisation.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("premises_id", sa.Integer, sa.ForeignKey("premises.id")),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("easting", sa.Float, nullable=False),
        sa.Column("northing", sa.Float, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("loss_gbp", sa.Numeric(12, 2)),
        sa.Column("prevented", sa.Boolean, nullable=False),
        sa.Column("police_reference", sa.String(50)),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.CheckConstraint("loss_gbp IS NULL OR loss_gbp >= 0", name="loss_not_negative"),
    )
    op.create_table(
        "incident_update",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False, index=True
        ),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("field", sa.String(50)),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "outcome",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False, index=True),
    )
    op.create_table(
        "outcome_incident",
        sa.Column("outcome_id", sa.Integer, sa.ForeignKey("outcome.id"), primary_key=True),
        sa.Column(
            "incident_id", sa.Integer, sa.ForeignKey("incident.id"), primary_key=True, index=True
        ),
    )
    op.create_table(
        "feed_read",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), primary_key=True),
        sa.Column("outcome_id", sa.Integer, sa.ForeignKey("outcome.id"), primary_key=True),
        sa.Column("read_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop the incident tables, dependants first."""
    for table in (
        "feed_read",
        "outcome_incident",
        "outcome",
        "incident_update",
        "incident",
        "reference_counter",
    ):
        op.drop_table(table)
