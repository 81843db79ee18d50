"""Change generations on citizens too, so that the in-process index (`matching.index`) can hold the
citizens that candidates for an opening are chosen from and catch up by reading only those changed.

As migration 0010 did for openings and employers: a write to citizens bumps the scope `citizens` before
the statement and stamps every row it inserts or updates with the new generation, in commit order.
Deleting citizens (erasure) or a citizen's vector bumps the new scope `citizen_removals`, which tells an
index to drop what it holds about citizens that are gone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_NOTE_VECTOR_REMOVALS = """
    CREATE OR REPLACE FUNCTION note_vector_removals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM gone WHERE entity_kind <> 'citizen') THEN
            UPDATE cache_generations SET generation = generation + 1 WHERE scope = 'removals';
        END IF;{citizens}
        RETURN NULL;
    END $$;
"""
_CITIZEN_VECTORS = """
        IF EXISTS (SELECT 1 FROM gone WHERE entity_kind = 'citizen') THEN
            UPDATE cache_generations SET generation = generation + 1 WHERE scope = 'citizen_removals';
        END IF;"""


def upgrade() -> None:
    op.execute("""
        INSERT INTO cache_generations (scope) VALUES ('citizen_removals');
        ALTER TABLE citizens ADD COLUMN generation bigint NOT NULL DEFAULT 0;
        CREATE INDEX citizens_generation_idx ON citizens (generation);
        DROP TRIGGER citizens_cache ON citizens;
        CREATE TRIGGER citizens_cache BEFORE INSERT OR UPDATE OR DELETE ON citizens
            FOR EACH STATEMENT EXECUTE FUNCTION begin_cache_generation('citizens');
        CREATE TRIGGER citizens_generation BEFORE INSERT OR UPDATE ON citizens
            FOR EACH ROW EXECUTE FUNCTION stamp_cache_generation('citizens');
        CREATE TRIGGER citizens_removals AFTER DELETE ON citizens
            FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('citizen_removals');
    """)
    op.execute(_NOTE_VECTOR_REMOVALS.format(citizens=_CITIZEN_VECTORS))


def downgrade() -> None:
    op.execute(_NOTE_VECTOR_REMOVALS.format(citizens=""))
    op.execute("""
        DROP TRIGGER citizens_removals ON citizens;
        DROP TRIGGER citizens_generation ON citizens;
        DROP TRIGGER citizens_cache ON citizens;
        CREATE TRIGGER citizens_cache AFTER INSERT OR UPDATE OR DELETE ON citizens
            FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('citizens');
        DROP INDEX citizens_generation_idx;
        ALTER TABLE citizens DROP COLUMN generation;
        DELETE FROM cache_generations WHERE scope = 'citizen_removals';
    """)
