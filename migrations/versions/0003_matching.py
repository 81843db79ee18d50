"""Matching: stored suggestions with a feedback state machine, their event history, and placements.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMES = "'ordinary', 'internship', 'wage_subsidy', 'flexjob'"
DECLINE_REASONS = ("'limitation_conflict', 'too_far', 'hours_mismatch', 'skills_mismatch', "
                   "'citizen_not_interested', 'employer_declined', 'timing', 'other'")
ACCEPT_REASONS = "'skills_match', 'matches_wishes', 'close_to_home', 'supportive_employer', 'try_out'"
OUTCOMES = "'completed', 'hired', 'extended', 'dropped_out', 'cancelled'"


def upgrade() -> None:
    op.execute(f"""
    -- Haversine km, the same formula as core.geography.great_circle_km (commute filters in SQL).
    CREATE FUNCTION great_circle_km(lat1 double precision, lon1 double precision,
                                    lat2 double precision, lon2 double precision)
    RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
        2 * 6371.0088 * asin(least(1.0, sqrt(
            sin(radians(lat2 - lat1) / 2) ^ 2
            + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)));

    -- One row per suggested pair (citizen, employer, opening or none, scheme). Live requests refresh the
    -- snapshot (features, score, explanation, scorer version) while the suggestion is still 'proposed';
    -- once a consultant acts on it, the snapshot they acted on is frozen.
    CREATE TABLE suggestions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_ref text UNIQUE CHECK (length(external_ref) BETWEEN 1 AND 64),
        citizen_id uuid NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
        jobcentre_code smallint NOT NULL REFERENCES jobcentres (code),
        employer_id uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
        opening_id uuid REFERENCES openings (id) ON DELETE CASCADE,
        scheme text NOT NULL CHECK (scheme IN ({SCHEMES})),
        origin text NOT NULL CHECK (origin IN ('citizen', 'opening', 'batch', 'import')),
        score double precision,
        commute_km real CHECK (commute_km >= 0),
        features jsonb NOT NULL DEFAULT '{{}}' CHECK (jsonb_typeof(features) = 'object'),
        reasons jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(reasons) = 'array'),
        warnings jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
        scorer_version text NOT NULL,
        input_hash text NOT NULL DEFAULT '',
        state text NOT NULL DEFAULT 'proposed'
            CHECK (state IN ('proposed', 'contacted', 'accepted', 'declined')),
        reason_code text CHECK (reason_code IN ({DECLINE_REASONS}, {ACCEPT_REASONS})),
        note text CHECK (length(note) <= 2000),
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((state IN ('accepted', 'declined')) = (decided_at IS NOT NULL)),
        CHECK (state <> 'declined' OR reason_code IN ({DECLINE_REASONS})),
        CHECK (state <> 'accepted' OR reason_code IS NULL OR reason_code IN ({ACCEPT_REASONS}))
    );
    CREATE UNIQUE INDEX suggestions_pair_idx
        ON suggestions (citizen_id, employer_id, opening_id, scheme) NULLS NOT DISTINCT;
    CREATE INDEX suggestions_employer_idx ON suggestions (employer_id) WHERE state IN ('proposed', 'contacted');
    CREATE INDEX suggestions_opening_idx ON suggestions (opening_id) WHERE opening_id IS NOT NULL;

    -- proposed -> contacted -> accepted | declined; proposed -> declined. Decided suggestions are final.
    CREATE FUNCTION suggestions_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
            (OLD.state = 'proposed' AND NEW.state IN ('contacted', 'declined'))
            OR (OLD.state = 'contacted' AND NEW.state IN ('accepted', 'declined'))
        ) THEN
            RAISE EXCEPTION 'illegal suggestion transition % -> %', OLD.state, NEW.state
                USING ERRCODE = 'check_violation', CONSTRAINT = 'suggestions_state_transition';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER suggestions_transition BEFORE UPDATE OF state ON suggestions
        FOR EACH ROW EXECUTE FUNCTION suggestions_check_transition();

    -- Every feedback a consultant gave, in order; the suggestion row holds the latest state.
    CREATE TABLE suggestion_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        suggestion_id uuid NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
        from_state text NOT NULL,
        to_state text NOT NULL CHECK (to_state IN ('contacted', 'accepted', 'declined')),
        reason_code text,
        note text,
        actor_id uuid,
        at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX suggestion_events_suggestion_idx ON suggestion_events (suggestion_id);

    -- A citizen placed with an employer (through an opening or straight with the employer), and how it
    -- ended. Successful outcomes: completed, hired, extended.
    CREATE TABLE placements (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_ref text UNIQUE CHECK (length(external_ref) BETWEEN 1 AND 64),
        citizen_id uuid NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
        jobcentre_code smallint NOT NULL REFERENCES jobcentres (code),
        employer_id uuid NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
        opening_id uuid REFERENCES openings (id) ON DELETE SET NULL,
        suggestion_id uuid REFERENCES suggestions (id) ON DELETE SET NULL,
        scheme text NOT NULL CHECK (scheme IN ({SCHEMES})),
        start_date date NOT NULL,
        end_date date CHECK (end_date IS NULL OR end_date >= start_date),
        outcome text CHECK (outcome IN ({OUTCOMES})),
        outcome_reason text CHECK (length(outcome_reason) <= 2000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (outcome IS NULL OR end_date IS NOT NULL OR outcome = 'extended')
    );
    CREATE INDEX placements_employer_idx ON placements (employer_id);
    CREATE INDEX placements_citizen_idx ON placements (citizen_id);
    CREATE INDEX placements_opening_idx ON placements (opening_id) WHERE opening_id IS NOT NULL;
    CREATE UNIQUE INDEX placements_suggestion_idx ON placements (suggestion_id) WHERE suggestion_id IS NOT NULL;

    ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'read', 'list', 'create', 'update', 'erase', 'import', 'suggest', 'candidates', 'feedback',
        'placement'));

    -- Cached rankings are keyed by these counters: a write to what a ranking reads bumps its scope in
    -- the writer's transaction, so a cache entry made from older data is never found again.
    CREATE TABLE cache_generations (
        scope text PRIMARY KEY,
        generation bigint NOT NULL DEFAULT 0
    );
    INSERT INTO cache_generations (scope) VALUES ('placements'), ('citizens'), ('decisions'), ('taxonomy'),
                                                 ('vectors');
    CREATE FUNCTION bump_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE cache_generations SET generation = generation + 1 WHERE scope = TG_ARGV[0];
        RETURN NULL;
    END $$;
    CREATE TRIGGER openings_cache AFTER INSERT OR UPDATE OR DELETE ON openings
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('placements');
    CREATE TRIGGER employers_cache AFTER INSERT OR UPDATE OR DELETE ON employers
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('placements');
    CREATE TRIGGER placements_cache AFTER INSERT OR UPDATE OR DELETE ON placements
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('placements');
    CREATE TRIGGER citizens_cache AFTER INSERT OR UPDATE OR DELETE ON citizens
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('citizens');
    CREATE TRIGGER suggestion_events_cache AFTER INSERT ON suggestion_events
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('decisions');
    CREATE TRIGGER taxonomy_versions_cache AFTER INSERT OR UPDATE OR DELETE ON taxonomy_versions
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('taxonomy');
    CREATE TRIGGER text_vectors_cache AFTER INSERT OR UPDATE OR DELETE ON text_vectors
        FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('vectors');
    """)


def downgrade() -> None:
    op.execute("""
    DROP TRIGGER openings_cache ON openings;
    DROP TRIGGER employers_cache ON employers;
    DROP TRIGGER citizens_cache ON citizens;
    DROP TRIGGER taxonomy_versions_cache ON taxonomy_versions;
    DROP TRIGGER text_vectors_cache ON text_vectors;
    DROP TABLE cache_generations;
    DROP FUNCTION bump_cache_generation();
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'read', 'list', 'create', 'update', 'erase', 'import', 'suggest', 'candidates', 'feedback'));
    DROP TABLE placements, suggestion_events;
    DROP TRIGGER suggestions_transition ON suggestions;
    DROP FUNCTION suggestions_check_transition();
    DROP TABLE suggestions;
    DROP FUNCTION great_circle_km(double precision, double precision, double precision, double precision);
    """)
