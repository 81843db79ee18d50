"""Weekly batch runs: runs unique per (jobcentre, ISO week), their shards, scored candidates, the chosen
suggestions with explanations, the contact ledger shared across jobcentres, and per-jobcentre schedules.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMES = "'ordinary', 'internship', 'wage_subsidy', 'flexjob'"


def upgrade() -> None:
    op.execute(f"""
    -- One run per jobcentre and ISO week. A forced re-run resets the same row with attempt + 1, so jobs
    -- of an older attempt find a different attempt number and return without writing.
    CREATE TABLE batch_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        jobcentre_code smallint NOT NULL REFERENCES jobcentres (code),
        iso_week text NOT NULL CHECK (iso_week ~ '^[0-9]{{4}}-W(0[1-9]|[1-4][0-9]|5[0-3])$'),
        attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        k smallint NOT NULL CHECK (k BETWEEN 1 AND 20),
        c real NOT NULL CHECK (c >= 1 AND c <= 10),
        shard_size integer NOT NULL CHECK (shard_size BETWEEN 1 AND 100000),
        reference_date date NOT NULL,
        origin text NOT NULL CHECK (origin IN ('api', 'cli', 'schedule')),
        requested_by uuid,
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
        stage text CHECK (stage IN ('scoring', 'assigning', 'explaining')),
        scorer_version text,
        citizens_total integer CHECK (citizens_total >= 0),
        steps_total integer NOT NULL DEFAULT 0 CHECK (steps_total >= 0),
        steps_done integer NOT NULL DEFAULT 0 CHECK (steps_done >= 0 AND steps_done <= steps_total),
        message text,
        error text,
        summary jsonb,
        timings jsonb NOT NULL DEFAULT '{{}}' CHECK (jsonb_typeof(timings) = 'object'),
        resends integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        progressed_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (jobcentre_code, iso_week),
        CHECK ((state IN ('done', 'failed')) = (finished_at IS NOT NULL)),
        CHECK (state <> 'failed' OR error IS NOT NULL),
        CHECK (state <> 'done' OR (steps_done = steps_total AND summary IS NOT NULL)),
        CHECK ((state = 'running') = (stage IS NOT NULL))
    );

    -- queued -> running -> done | failed, queued -> failed; done | failed -> queued only as a new attempt.
    CREATE FUNCTION batch_runs_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
            (OLD.state = 'queued' AND NEW.state IN ('running', 'failed'))
            OR (OLD.state = 'running' AND NEW.state IN ('done', 'failed'))
            OR (OLD.state IN ('done', 'failed') AND NEW.state = 'queued' AND NEW.attempt = OLD.attempt + 1)
        ) THEN
            RAISE EXCEPTION 'illegal batch run transition % -> %', OLD.state, NEW.state
                USING ERRCODE = 'check_violation', CONSTRAINT = 'batch_runs_state_transition';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER batch_runs_transition BEFORE UPDATE OF state ON batch_runs
        FOR EACH ROW EXECUTE FUNCTION batch_runs_check_transition();

    -- A chunk of the run's citizens, per stage; the job for it carries (run, attempt, stage, shard).
    CREATE TABLE batch_shards (
        run_id uuid NOT NULL REFERENCES batch_runs (id) ON DELETE CASCADE,
        stage text NOT NULL CHECK (stage IN ('scoring', 'explaining')),
        shard_no integer NOT NULL CHECK (shard_no >= 0),
        citizen_ids uuid[] NOT NULL,
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
        claims integer NOT NULL DEFAULT 0 CHECK (claims >= 0),
        claimed_by text,
        error text,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (run_id, stage, shard_no),
        CHECK (state <> 'failed' OR error IS NOT NULL)
    );

    -- The best eligible placements per citizen, scored by the scoring shards: the assignment's input.
    -- A shard replaces its own rows in one transaction, so a retried shard never duplicates them.
    CREATE TABLE batch_candidates (
        run_id uuid NOT NULL REFERENCES batch_runs (id) ON DELETE CASCADE,
        shard_no integer NOT NULL,
        citizen_id uuid NOT NULL,
        employer_id uuid NOT NULL,
        opening_id uuid,
        scheme text NOT NULL CHECK (scheme IN ({SCHEMES})),
        score double precision NOT NULL,
        free_slots integer NOT NULL
    );
    CREATE UNIQUE INDEX batch_candidates_pair_idx
        ON batch_candidates (run_id, citizen_id, employer_id, opening_id) NULLS NOT DISTINCT;
    CREATE INDEX batch_candidates_shard_idx ON batch_candidates (run_id, shard_no);

    -- What a run suggests: up to k per citizen, filed under the citizen's consultant, with the same
    -- explanation fields as live suggestions (filled by the explaining shards).
    CREATE TABLE batch_suggestions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES batch_runs (id) ON DELETE CASCADE,
        citizen_id uuid NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
        consultant_id uuid REFERENCES users (id) ON DELETE SET NULL,
        employer_id uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
        opening_id uuid REFERENCES openings (id) ON DELETE CASCADE,
        scheme text NOT NULL CHECK (scheme IN ({SCHEMES})),
        score double precision NOT NULL,
        rank smallint NOT NULL CHECK (rank >= 1),
        commute_km real CHECK (commute_km >= 0),
        explanation text,
        reasons jsonb CHECK (jsonb_typeof(reasons) = 'array'),
        warnings jsonb CHECK (jsonb_typeof(warnings) = 'array'),
        scorer_version text NOT NULL,
        UNIQUE (run_id, citizen_id, rank)
    );
    CREATE UNIQUE INDEX batch_suggestions_pair_idx
        ON batch_suggestions (run_id, citizen_id, employer_id, opening_id) NULLS NOT DISTINCT;
    CREATE INDEX batch_suggestions_consultant_idx ON batch_suggestions (run_id, consultant_id, id);
    CREATE INDEX batch_suggestions_run_idx ON batch_suggestions (run_id, id);

    -- Suggestions each run sends to each placement, by ISO week: a run leaves room at an employer for
    -- the suggestions other jobcentres' runs of the same week already made.
    CREATE TABLE batch_contact_ledger (
        iso_week text NOT NULL,
        run_id uuid NOT NULL REFERENCES batch_runs (id) ON DELETE CASCADE,
        jobcentre_code smallint NOT NULL REFERENCES jobcentres (code),
        employer_id uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
        opening_id uuid REFERENCES openings (id) ON DELETE CASCADE,
        contacts integer NOT NULL CHECK (contacts > 0)
    );
    CREATE UNIQUE INDEX batch_contact_ledger_idx
        ON batch_contact_ledger (run_id, employer_id, opening_id) NULLS NOT DISTINCT;
    CREATE INDEX batch_contact_ledger_week_idx ON batch_contact_ledger (iso_week, employer_id);

    -- When each jobcentre's weekly run starts (Copenhagen time), and with which options.
    CREATE TABLE batch_schedules (
        jobcentre_code smallint PRIMARY KEY REFERENCES jobcentres (code),
        weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
        at_time time NOT NULL,
        k smallint NOT NULL CHECK (k BETWEEN 1 AND 20),
        c real NOT NULL CHECK (c >= 1 AND c <= 10),
        enabled boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE batch_schedules, batch_contact_ledger, batch_suggestions, batch_candidates, batch_shards;
    DROP TRIGGER batch_runs_transition ON batch_runs;
    DROP FUNCTION batch_runs_check_transition();
    DROP TABLE batch_runs;
    """)
