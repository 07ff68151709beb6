"""Subjects (persistent offenders), their photos, associates, exclusions and retention.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geo.partners.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the subject tables and the scheme's retention setting."""
    with op.batch_alter_table("partnership") as partnership:
        partnership.add_column(
            sa.Column("subject_retention_months", sa.Integer, nullable=False, server_default="12")
        )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("alias", sa.String(200)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("modus_operandi", sa.Text, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("shared_in_gallery", sa.Boolean, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.CheckConstraint("kind IN ('known', 'ID sought')", name="subject_kind"),
    )
    op.create_table(
        "exclusion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False, index=True
        ),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("premises_id", sa.Integer, sa.ForeignKey("premises.id")),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("extends_id", sa.Integer, sa.ForeignKey("exclusion.id")),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("issued_by_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("stage IN ('warning', 'exclusion', 'extension')", name="stage"),
        sa.CheckConstraint("expires_on > starts_on", name="expires_after_start"),
    )
    op.create_table(
        "subject_incident",
        sa.Column("subject_id", sa.Integer, sa.ForeignKey("subject.id"), primary_key=True),
        sa.Column(
            "incident_id", sa.Integer, sa.ForeignKey("incident.id"), primary_key=True, index=True
        ),
        sa.Column("linked_at", UTCDateTime, nullable=False),
        sa.Column("linked_by_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("breach_of_id", sa.Integer, sa.ForeignKey("exclusion.id")),
    )
    op.create_table(
        "subject_associate",
        sa.Column("subject_id", sa.Integer, sa.ForeignKey("subject.id"), primary_key=True),
        sa.Column(
            "associate_id", sa.Integer, sa.ForeignKey("subject.id"), primary_key=True, index=True
        ),
    )
    op.create_table(
        "subject_photo",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False, index=True
        ),
        sa.Column("file_name", sa.String(80), nullable=False, unique=True),
        sa.Column("media_type", sa.String(30), nullable=False),
        sa.Column("uploaded_at", UTCDateTime, nullable=False),
        sa.Column("uploaded_by_id", sa.Integer, sa.ForeignKey("app_user.id")),
    )


def downgrade() -> None:
    """Drop the subject tables, dependants first, and the retention setting."""
    for table in ("subject_photo", "subject_associate", "subject_incident", "exclusion"):
        op.drop_table(table)
    op.drop_table("subject")
    with op.batch_alter_table("partnership") as partnership:
        partnership.drop_column("subject_retention_months")
