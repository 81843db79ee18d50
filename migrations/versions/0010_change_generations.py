"""Change generations per row, so that an in-process index of openings and employers
(`matching.index`) can catch up by reading only the rows changed since it last looked.

Until now each write to openings, employers or text vectors bumped its scope in `cache_generations`
after the statement; now it bumps before the statement and stamps every row it inserts or updates with
the new generation. The bump holds the scope's counter row locked until the writer commits, so the
stamps are in commit order: once a reader sees a scope at generation G, every row stamped ≤ G is
committed and visible to it, and a row changed later carries a stamp > G. Deletes cannot be read back
that way; deleting openings, employers or their vectors bumps the scope `removals` instead, which tells
an index to rebuild.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# (table, scope) pairs whose rows carry a stamp.
_STAMPED = (("openings", "placements"), ("employers", "placements"), ("text_vectors", "vectors"))


def upgrade() -> None:
    op.execute("""
        INSERT INTO cache_generations (scope) VALUES ('removals');

        CREATE FUNCTION begin_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            bumped bigint;
        BEGIN
            UPDATE cache_generations SET generation = generation + 1 WHERE scope = TG_ARGV[0]
            RETURNING generation INTO bumped;
            PERFORM set_config('brobygger.generation_' || TG_ARGV[0], bumped::text, true);
            RETURN NULL;
        END $$;

        CREATE FUNCTION stamp_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.generation := current_setting('brobygger.generation_' || TG_ARGV[0])::bigint;
            RETURN NEW;
        END $$;

        -- Deleted vectors matter to the index only for openings and employers (not citizens' erasure).
        CREATE FUNCTION note_vector_removals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM gone WHERE entity_kind <> 'citizen') THEN
                UPDATE cache_generations SET generation = generation + 1 WHERE scope = 'removals';
            END IF;
            RETURN NULL;
        END $$;
    """)
    for table, scope in _STAMPED:
        op.execute(f"""
            ALTER TABLE {table} ADD COLUMN generation bigint NOT NULL DEFAULT 0;
            CREATE INDEX {table}_generation_idx ON {table} (generation);
            DROP TRIGGER {table}_cache ON {table};
            CREATE TRIGGER {table}_cache BEFORE INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION begin_cache_generation('{scope}');
            CREATE TRIGGER {table}_generation BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION stamp_cache_generation('{scope}');
        """)
    op.execute("""
        CREATE TRIGGER openings_removals AFTER DELETE ON openings
            FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('removals');
        CREATE TRIGGER employers_removals AFTER DELETE ON employers
            FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('removals');
        CREATE TRIGGER text_vectors_removals AFTER DELETE ON text_vectors REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION note_vector_removals();
    """)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER openings_removals ON openings;
        DROP TRIGGER employers_removals ON employers;
        DROP TRIGGER text_vectors_removals ON text_vectors;
    """)
    for table, scope in _STAMPED:
        op.execute(f"""
            DROP TRIGGER {table}_generation ON {table};
            DROP TRIGGER {table}_cache ON {table};
            CREATE TRIGGER {table}_cache AFTER INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('{scope}');
            ALTER TABLE {table} DROP COLUMN generation;
        """)
    op.execute("""
        DROP FUNCTION note_vector_removals();
        DROP FUNCTION stamp_cache_generation();
        DROP FUNCTION begin_cache_generation();
        DELETE FROM cache_generations WHERE scope = 'removals';
    """)
