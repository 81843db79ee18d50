"""Placements: outcome transitions enforced in the database, and an index for jobcentre listings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- An open placement (no outcome) may get any outcome; an extended one may later end as completed,
    -- hired, dropped_out or cancelled; every other outcome is final. Re-setting the same outcome is allowed
    -- (imports and PATCH are idempotent).
    CREATE FUNCTION placements_check_outcome_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.outcome IS DISTINCT FROM OLD.outcome AND NOT (
            OLD.outcome IS NULL
            OR (OLD.outcome = 'extended' AND NEW.outcome IN ('completed', 'hired', 'dropped_out', 'cancelled'))
        ) THEN
            RAISE EXCEPTION 'illegal placement outcome transition % -> %', OLD.outcome, NEW.outcome
                USING ERRCODE = 'check_violation', CONSTRAINT = 'placements_outcome_transition';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER placements_outcome_transition BEFORE UPDATE OF outcome ON placements
        FOR EACH ROW EXECUTE FUNCTION placements_check_outcome_transition();

    CREATE INDEX placements_jobcentre_idx ON placements (jobcentre_code, id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX placements_jobcentre_idx;
    DROP TRIGGER placements_outcome_transition ON placements;
    DROP FUNCTION placements_check_outcome_transition();
    """)
