"""Matching: an index for the coarse filter of open openings by postcode (the first step of every ranking).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX openings_open_postcode_idx ON openings (postcode) WHERE status = 'open'")


def downgrade() -> None:
    op.execute("DROP INDEX openings_open_postcode_idx")
