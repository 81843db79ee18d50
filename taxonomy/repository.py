"""SQL for the taxonomy store: bulk replacement with COPY, lookups, and URI checks."""

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

_TABLES = ("occupation_skills", "occupations", "skills", "isco_groups", "disco_titles")


async def loaded_version(conn: asyncpg.Connection) -> str | None:
    version: str | None = await conn.fetchval(
        "SELECT version FROM taxonomy_versions ORDER BY loaded_at DESC LIMIT 1")
    return version


async def replace_all(conn: asyncpg.Connection, *, version: str, extra_languages: list[str],
                      occupations: Sequence[tuple[Any, ...]], skills: Sequence[tuple[Any, ...]],
                      relations: Sequence[tuple[Any, ...]], isco_groups: Iterable[tuple[Any, ...]],
                      disco_titles: Iterable[tuple[Any, ...]]) -> None:
    """Replace the whole taxonomy in the caller's transaction (readers see the old one until commit)."""
    await conn.execute(f"TRUNCATE {', '.join(_TABLES)}, taxonomy_versions")
    await conn.copy_records_to_table("isco_groups", records=list(isco_groups),
                                     columns=["code", "label_en", "label_da", "parent_code"])
    await conn.copy_records_to_table(
        "occupations", records=list(occupations),
        columns=["uri", "isco_group", "label_en", "label_da", "alt_labels_en", "labels_da", "extra_labels",
                 "description_en"])
    await conn.copy_records_to_table(
        "skills", records=list(skills),
        columns=["uri", "label_en", "alt_labels_en", "extra_labels", "skill_type", "reuse_level",
                 "description_en"])
    await conn.copy_records_to_table("occupation_skills", records=list(relations),
                                     columns=["occupation_uri", "skill_uri", "relation"])
    await conn.copy_records_to_table("disco_titles", records=list(disco_titles),
                                     columns=["code", "title_da", "isco_group"])
    await conn.execute(
        """INSERT INTO taxonomy_versions (version, occupations, skills, relations, extra_languages)
           VALUES ($1, $2, $3, $4, $5)""",
        version, len(occupations), len(skills), len(relations), extra_languages,
    )


async def unknown_occupations(conn: asyncpg.Connection, uris: Sequence[str]) -> list[str]:
    rows = await conn.fetch(
        """SELECT given.uri FROM unnest($1::text[]) AS given (uri)
           WHERE NOT EXISTS (SELECT 1 FROM occupations o WHERE o.uri = given.uri)""",
        list(uris))
    return [row["uri"] for row in rows]


async def unknown_skills(conn: asyncpg.Connection, uris: Sequence[str]) -> list[str]:
    rows = await conn.fetch(
        """SELECT given.uri FROM unnest($1::text[]) AS given (uri)
           WHERE NOT EXISTS (SELECT 1 FROM skills s WHERE s.uri = given.uri)""",
        list(uris))
    return [row["uri"] for row in rows]


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in _TABLES}


async def snapshot_rows(conn: asyncpg.Connection) -> tuple[list[asyncpg.Record], list[asyncpg.Record],
                                                           list[asyncpg.Record], list[asyncpg.Record]]:
    """Everything matching looks up per pair: occupations, essential relations, skill and group labels."""
    occupations = await conn.fetch(
        "SELECT uri, isco_group, coalesce(label_da, label_en) AS label_da, label_en FROM occupations")
    essential = await conn.fetch(
        "SELECT occupation_uri, skill_uri FROM occupation_skills WHERE relation = 'essential'")
    skills = await conn.fetch("SELECT uri, label_en FROM skills")
    groups = await conn.fetch("SELECT code, coalesce(label_da, label_en) AS label_da, label_en FROM isco_groups")
    return occupations, essential, skills, groups
