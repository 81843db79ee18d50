"""The vocabularies in core/vocab.py and the database's CHECK constraints list the same values."""

import re
from enum import StrEnum

import asyncpg
import pytest

from core import vocab

# Each vocabulary and every (table, column) whose CHECK constraint lists its values.
CHECKED_COLUMNS: dict[type[StrEnum], list[tuple[str, str]]] = {
    vocab.Scheme: [("employers", "schemes"), ("openings", "schemes"), ("citizens", "schemes")],
    vocab.TargetGroup: [("citizens", "target_group")],
    vocab.Limitation: [("citizens", "limitations")],
    vocab.Need: [("citizens", "needs")],
    vocab.PhysicalDemands: [("employers", "physical_demands"), ("openings", "physical_demands")],
    vocab.EducationLevel: [("citizens", "education_level")],
    vocab.WorkCondition: [("openings", "work_conditions")],
    vocab.Role: [("users", "role")],
    vocab.EmployerStatus: [("employers", "status")],
    vocab.OpeningStatus: [("openings", "status")],
}
CASES = [pytest.param(enum, table, column, id=f"{enum.__name__}-{table}.{column}")
         for enum, columns in CHECKED_COLUMNS.items() for table, column in columns]


async def single_column_checks(pool: asyncpg.Pool, table: str, column: str) -> list[str]:
    """The definitions of the CHECK constraints on exactly this one column."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT pg_get_constraintdef(c.oid) AS definition
               FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND c.conkey = ARRAY[a.attnum]
               WHERE c.contype = 'c' AND c.conrelid = $1::regclass AND a.attname = $2""",
            table, column)
    return [row["definition"] for row in rows]


@pytest.mark.parametrize(("enum", "table", "column"), CASES)
async def test_check_constraint_lists_exactly_the_vocabulary(pool: asyncpg.Pool, enum: type[StrEnum],
                                                             table: str, column: str) -> None:
    definitions = await single_column_checks(pool, table, column)
    listed = [set(re.findall(r"'([^']*)'::text", definition)) for definition in definitions]
    listed = [values for values in listed if values]

    assert len(listed) == 1, f"expected one CHECK listing the values of {table}.{column}: {definitions}"
    assert listed[0] == {member.value for member in enum}


async def test_every_vocabulary_column_is_covered() -> None:
    """A new vocabulary in core/vocab.py needs a line above (and a CHECK constraint in a migration)."""
    vocabularies = {value for value in vars(vocab).values()
                    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum}

    assert vocabularies == set(CHECKED_COLUMNS)
