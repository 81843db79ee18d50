"""An in-memory snapshot of the taxonomy facts matching reads for every pair (ISCO groups, labels,
occupations' essential skills), loaded once per taxonomy version instead of queried per request.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import asyncpg

from core import memory
from taxonomy import repository


@dataclass(frozen=True)
class TaxonomySnapshot:
    version: str
    occupation_isco: dict[str, str]
    occupation_labels_da: dict[str, str]
    occupation_labels_en: dict[str, str]
    essential_skills: dict[str, frozenset[str]]
    skill_labels: dict[str, str]
    isco_labels_da: dict[str, str]
    isco_labels_en: dict[str, str]

    def occupation_label(self, uri: str, lang: str) -> str:
        labels = self.occupation_labels_da if lang == "da" else self.occupation_labels_en
        return labels.get(uri, "")


_cache: dict[str, TaxonomySnapshot] = {}
_lock = asyncio.Lock()


async def current(conn: asyncpg.Connection) -> TaxonomySnapshot:
    """The snapshot of the loaded taxonomy version (built on first use, rebuilt after a reload)."""
    version = await repository.loaded_version(conn) or ""
    snapshot = _cache.get(version)
    if snapshot is not None:
        return snapshot
    async with _lock:
        if version not in _cache:
            _cache.clear()
            _cache[version] = await _build(conn, version)
            memory.settle()
        return _cache[version]


async def _build(conn: asyncpg.Connection, version: str) -> TaxonomySnapshot:
    occupations, essential, skills, groups = await repository.snapshot_rows(conn)
    by_occupation: dict[str, set[str]] = defaultdict(set)
    for row in essential:
        by_occupation[row["occupation_uri"]].add(row["skill_uri"])
    return TaxonomySnapshot(
        version=version,
        occupation_isco={row["uri"]: row["isco_group"] for row in occupations},
        occupation_labels_da={row["uri"]: row["label_da"] for row in occupations},
        occupation_labels_en={row["uri"]: row["label_en"] for row in occupations},
        essential_skills={uri: frozenset(skill_uris) for uri, skill_uris in by_occupation.items()},
        skill_labels={row["uri"]: row["label_en"] for row in skills},
        isco_labels_da={row["code"]: row["label_da"] for row in groups},
        isco_labels_en={row["code"]: row["label_en"] for row in groups},
    )
