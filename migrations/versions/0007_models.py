"""Ranking models: the registry of trained versions (at most one active), its event history, and
training runs with their progress.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Every trained ranker: its artefact (the exact JSON whose sha256 is `checksum`), the metrics it was
    -- registered with, and whether it is the one serving. Versions are never deleted, so any earlier one
    -- can be brought back.
    CREATE TABLE model_versions (
        version text PRIMARY KEY CHECK (version ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
        checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
        format_version integer NOT NULL CHECK (format_version >= 1),
        artefact text NOT NULL,
        metrics jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
        training jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(training) = 'object'),
        held_out_from date,
        jobcentre_code smallint REFERENCES jobcentres (code),
        created_at timestamptz NOT NULL DEFAULT now(),
        active boolean NOT NULL DEFAULT false,
        promoted_at timestamptz,
        CHECK (NOT active OR promoted_at IS NOT NULL)
    );
    -- At most one active model: a second activation fails instead of silently serving two.
    CREATE UNIQUE INDEX model_versions_one_active ON model_versions ((true)) WHERE active;

    -- What happened to the active model and why: registrations, promotions (forced or not), rollbacks.
    CREATE TABLE model_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version text NOT NULL,
        action text NOT NULL CHECK (action IN ('registered', 'promoted', 'rolled_back')),
        previous_version text,
        forced boolean NOT NULL DEFAULT false,
        detail jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
        at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX model_events_version_idx ON model_events (version);

    -- Training runs started as worker jobs: queued -> running -> done | failed.
    CREATE TABLE model_training_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        jobcentre_code smallint REFERENCES jobcentres (code),
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
        stage text,
        progress real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        version text REFERENCES model_versions (version),
        error text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CHECK ((state IN ('done', 'failed')) = (finished_at IS NOT NULL)),
        CHECK (state <> 'failed' OR error IS NOT NULL),
        CHECK (state <> 'done' OR version IS NOT NULL)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE model_training_runs, model_events, model_versions")
