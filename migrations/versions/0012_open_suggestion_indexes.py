"""Partial covering indexes of the suggestions that count as an employer's load (`matching.repository`'s
`_OPEN_SUGGESTION`: not imported, proposed or contacted), per opening and per employer without one; and
of the suggestions a consultant has acted on, per citizen (`repository.decided_pairs`).

Every ranking counts other citizens' open suggestions for each of its few hundred placements. Through
the index of all suggestions of an opening that read every suggestion ever made for it from the table
(~12 ms for the most suggested openings after a few thousand rankings); these hold only the open ones,
with the columns the count filters on, so the count is an index-only scan where the table's pages are
all-visible (~2.5 ms in the same case). Likewise, the pairs a consultant has acted on are a few among
all the suggestions of the ~230 citizens a ranking of candidates considers (2.2 ms through the index of
all pairs on the benchmark's data). The partial index of proposed and contacted suggestions per employer
(0003) served only the load count, which now reads the new one; it goes, one index less to keep for
every suggestion written. Index-only scans need the table's visibility map to be current, and every
ranking rewrites its 20 suggestions (a dead row version each): suggestions are vacuumed after 2% of the
table changed instead of PostgreSQL's default 20% (measured: 3,469 heap fetches and 3.9 ms for the most
suggested openings' count with a table of half dead rows, 0 and 2.4 ms after a vacuum).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE INDEX suggestions_open_by_opening_idx ON suggestions (opening_id)
            INCLUDE (citizen_id, state, updated_at)
            WHERE state IN ('proposed', 'contacted') AND origin <> 'import' AND opening_id IS NOT NULL;
        CREATE INDEX suggestions_open_by_employer_idx ON suggestions (employer_id)
            INCLUDE (citizen_id, state, updated_at)
            WHERE state IN ('proposed', 'contacted') AND origin <> 'import' AND opening_id IS NULL;
        CREATE INDEX suggestions_acted_on_idx ON suggestions (citizen_id)
            INCLUDE (employer_id, opening_id, state, id)
            WHERE state <> 'proposed';
        DROP INDEX suggestions_employer_idx;
        ALTER TABLE suggestions SET (autovacuum_vacuum_scale_factor = 0.02,
                                     autovacuum_vacuum_insert_scale_factor = 0.02);
    """)


def downgrade() -> None:
    op.execute("""
        ALTER TABLE suggestions RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor);
        CREATE INDEX suggestions_employer_idx ON suggestions (employer_id) WHERE state IN ('proposed', 'contacted');
        DROP INDEX suggestions_acted_on_idx; DROP INDEX suggestions_open_by_employer_idx;
        DROP INDEX suggestions_open_by_opening_idx;
    """)
