"""Matching retrieval in one statement: each opening's essential skill URIs as a stored column (the
taxonomy step compared them by unpacking the skills JSON of every opening in reach, per request), and a
partial index of paused employers (the coarse filter excludes them instead of joining every employer).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION essential_skill_uris(skills jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT item->>'uri' ORDER BY item->>'uri'), '{}')
            FROM jsonb_array_elements(skills) AS item
            WHERE item->>'uri' IS NOT NULL AND coalesce((item->>'essential')::boolean, true)
        $$""")
    op.execute("""ALTER TABLE openings ADD COLUMN essential_skill_uris text[]
                  GENERATED ALWAYS AS (essential_skill_uris(skills)) STORED""")
    op.execute("CREATE INDEX employers_paused_idx ON employers (id) WHERE status = 'paused'")


def downgrade() -> None:
    op.execute("DROP INDEX employers_paused_idx")
    op.execute("ALTER TABLE openings DROP COLUMN essential_skill_uris")
    op.execute("DROP FUNCTION essential_skill_uris(jsonb)")
