"""Bulk import of JSONL files: idempotent upserts by external reference, one savepoint per row.

A row is written whole or not at all; rejected rows are reported with their line number and reason.
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import BaseModel, ValidationError

from citizens import service as citizens
from citizens.schemas import CitizenCreate
from core.errors import BrobyggerError, field_errors
from employers import service as employers
from employers.schemas import EmployerCreate, OpeningImport
from placements import service as placements
from placements.schemas import DecisionImport, PlacementImport
from taxonomy.normaliser import Normaliser
from users.schemas import Principal

BATCH_SIZE = 500


class ImportKind(StrEnum):
    EMPLOYERS = "employers"
    OPENINGS = "openings"
    CITIZENS = "citizens"
    DECISIONS = "decisions"  # after citizens, employers and openings: rows name them by reference
    PLACEMENTS = "placements"  # after decisions: rows name their decision by `decision_ref`


Upsert = Callable[[asyncpg.Connection, Principal, Any, Normaliser | None], Awaitable[Any]]
_HANDLERS: dict[ImportKind, tuple[type[BaseModel], Upsert]] = {
    ImportKind.EMPLOYERS: (EmployerCreate, employers.upsert_employer),
    ImportKind.OPENINGS: (OpeningImport, employers.upsert_opening),
    ImportKind.CITIZENS: (CitizenCreate, citizens.upsert),
    ImportKind.DECISIONS: (DecisionImport, placements.upsert_decision),
    ImportKind.PLACEMENTS: (PlacementImport, placements.upsert_placement),
}


@dataclass
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    kind: ImportKind
    written: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return self.written + len(self.rejected)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{item['field']}: {item['message']}" for item in field_errors(list(error.errors())))
    if isinstance(error, BrobyggerError):
        return error.detail
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} (column {error.colno})"
    if isinstance(error, UnicodeDecodeError):
        return f"not valid UTF-8 text (byte {error.start + 1})"
    if isinstance(error, asyncpg.PostgresError):
        return f"rejected by the database: {type(error).__name__}"
    raise error


async def import_file(pool: asyncpg.Pool, kind: ImportKind, path: Path, principal: Principal,
                      on_progress: Callable[[int], None] | None = None,
                      normaliser: Normaliser | None = None) -> ImportReport:
    """Upsert every row of a JSONL file; `on_progress` gets the number of bytes read so far.

    With a normaliser, codes are inferred from free text as on the API (slower: tens of ms per row).
    """
    schema, upsert = _HANDLERS[kind]
    report = ImportReport(kind)
    with path.open("rb") as handle:
        line_number = 0
        done = False
        while not done:
            async with pool.acquire() as conn, conn.transaction():
                for _ in range(BATCH_SIZE):
                    raw = handle.readline()
                    if not raw:
                        done = True
                        break
                    line_number += 1
                    if not raw.strip():
                        continue
                    try:
                        row = schema.model_validate(json.loads(raw))
                        async with conn.transaction():  # a savepoint: the row is written whole or not at all
                            await upsert(conn, principal, row, normaliser)
                        report.written += 1
                    except (ValidationError, BrobyggerError, json.JSONDecodeError, UnicodeDecodeError,
                            asyncpg.PostgresError) as error:
                        report.rejected.append(Rejection(line_number, _reason(error)))
            if on_progress is not None:
                on_progress(handle.tell())
    return report
