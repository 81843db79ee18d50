"""Taxonomy store (ESCO, ISCO, DISCO-08, labels), text vectors with content hashes, inferred codes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Which taxonomy data is loaded; `brobygger taxonomy load` replaces the content in one transaction.
    CREATE TABLE taxonomy_versions (
        version text PRIMARY KEY,
        loaded_at timestamptz NOT NULL DEFAULT now(),
        occupations integer NOT NULL,
        skills integer NOT NULL,
        relations integer NOT NULL,
        extra_languages text[] NOT NULL DEFAULT '{}'
    );

    CREATE TABLE isco_groups (
        code text PRIMARY KEY CHECK (code ~ '^[0-9]{1,4}$'),
        label_en text NOT NULL,
        label_da text,
        parent_code text
    );

    CREATE TABLE occupations (
        uri text PRIMARY KEY CHECK (uri LIKE 'http://data.europa.eu/esco/occupation/%'),
        isco_group text NOT NULL CHECK (isco_group ~ '^[0-9]{4}$'),
        label_en text NOT NULL,
        label_da text,
        alt_labels_en text[] NOT NULL DEFAULT '{}',
        labels_da text[] NOT NULL DEFAULT '{}',
        extra_labels text[] NOT NULL DEFAULT '{}',
        description_en text NOT NULL DEFAULT ''
    );
    CREATE INDEX occupations_isco_idx ON occupations (isco_group);

    CREATE TABLE skills (
        uri text PRIMARY KEY CHECK (uri LIKE 'http://data.europa.eu/esco/skill/%'),
        label_en text NOT NULL,
        alt_labels_en text[] NOT NULL DEFAULT '{}',
        extra_labels text[] NOT NULL DEFAULT '{}',
        skill_type text NOT NULL,
        reuse_level text NOT NULL,
        description_en text NOT NULL DEFAULT ''
    );

    CREATE TABLE occupation_skills (
        occupation_uri text NOT NULL REFERENCES occupations (uri) ON DELETE CASCADE,
        skill_uri text NOT NULL REFERENCES skills (uri) ON DELETE CASCADE,
        relation text NOT NULL CHECK (relation IN ('essential', 'optional')),
        PRIMARY KEY (occupation_uri, skill_uri)
    );
    CREATE INDEX occupation_skills_skill_idx ON occupation_skills (skill_uri);

    CREATE TABLE disco_titles (
        code text PRIMARY KEY CHECK (code ~ '^[0-9]{4,6}$'),
        title_da text NOT NULL,
        isco_group text NOT NULL
    );

    -- Vectors of entity texts per encoder. `content_hash` is the hash of the encoded text: an
    -- unchanged text is never encoded again, and a new encoder gets its own rows.
    CREATE TABLE text_vectors (
        entity_kind text NOT NULL CHECK (entity_kind IN ('citizen', 'opening', 'employer')),
        entity_id uuid NOT NULL,
        encoder_id text NOT NULL,
        content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{32}$'),
        embedding vector NOT NULL,
        encoded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (entity_kind, entity_id, encoder_id)
    );

    -- Codes inferred from free text, kept apart from the codes a person set: [{uri, label, score}].
    ALTER TABLE openings ADD COLUMN inferred_occupations jsonb NOT NULL DEFAULT '[]',
                         ADD COLUMN inferred_skills jsonb NOT NULL DEFAULT '[]';
    ALTER TABLE citizens ADD COLUMN inferred_occupations jsonb NOT NULL DEFAULT '[]',
                         ADD COLUMN inferred_skills jsonb NOT NULL DEFAULT '[]';

    -- Erasing a citizen erases their vectors too.
    CREATE FUNCTION delete_entity_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM text_vectors WHERE entity_kind = TG_ARGV[0] AND entity_id = OLD.id;
        RETURN OLD;
    END $$;
    CREATE TRIGGER citizens_delete_vectors AFTER DELETE ON citizens
        FOR EACH ROW EXECUTE FUNCTION delete_entity_vectors('citizen');
    CREATE TRIGGER openings_delete_vectors AFTER DELETE ON openings
        FOR EACH ROW EXECUTE FUNCTION delete_entity_vectors('opening');
    CREATE TRIGGER employers_delete_vectors AFTER DELETE ON employers
        FOR EACH ROW EXECUTE FUNCTION delete_entity_vectors('employer');
    """)


def downgrade() -> None:
    op.execute("""
    DROP TRIGGER citizens_delete_vectors ON citizens;
    DROP TRIGGER openings_delete_vectors ON openings;
    DROP TRIGGER employers_delete_vectors ON employers;
    DROP FUNCTION delete_entity_vectors();
    ALTER TABLE openings DROP COLUMN inferred_occupations, DROP COLUMN inferred_skills;
    ALTER TABLE citizens DROP COLUMN inferred_occupations, DROP COLUMN inferred_skills;
    DROP TABLE text_vectors, disco_titles, occupation_skills, skills, occupations, isco_groups,
               taxonomy_versions;
    """)
