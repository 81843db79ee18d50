"""JSONL import: good rows are written, bad rows reported with line and reason, re-import is idempotent."""

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from typer.testing import CliRunner

from core.importing import ImportKind, ImportReport, import_file
from core.vocab import Role
from tests.factories import VALID_CVRS
from users.schemas import Principal

OPERATOR = Principal(user_id=uuid.UUID(int=0), role=Role.ADMIN, name="import test")


def employer_row(ref: str, **overrides: Any) -> dict[str, Any]:
    return {"external_ref": ref, "cvr": VALID_CVRS[0], "name": f"Virksomhed {ref}", "postcode": "2650",
            "schemes": ["internship"]} | overrides


def opening_row(ref: str, employer_ref: str, **overrides: Any) -> dict[str, Any]:
    return {"external_ref": ref, "employer_ref": employer_ref, "title": "Lagermedarbejder",
            "schemes": ["internship"], "hours_min": 20, "hours_max": 30, "slots": 1} | overrides


def citizen_row(reference: str, **overrides: Any) -> dict[str, Any]:
    return {"reference": reference, "jobcentre_code": 101, "postcode": "2200", "target_group": "kontanthjaelp",
            "hours_min": 10, "hours_max": 30} | overrides


def jsonl(path: Path, rows: list[dict[str, Any] | bytes | str]) -> Path:
    """Rows as JSON lines; bytes and str are written as they are (for malformed lines)."""
    lines = [row if isinstance(row, bytes) else (row if isinstance(row, str) else json.dumps(row)).encode()
             for row in rows]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def rejected(report: ImportReport) -> dict[int, str]:
    return {rejection.line: rejection.reason for rejection in report.rejected}


async def fetch(pool: asyncpg.Pool, query: str, *args: Any) -> list[tuple[Any, ...]]:
    async with pool.acquire() as conn:
        return [tuple(row) for row in await conn.fetch(query, *args)]


EMPLOYER_FILE: list[dict[str, Any] | bytes | str] = [
    employer_row("E1"),
    '{"external_ref": "E2", "cvr": ',  # 2: cut off
    employer_row("E3", postcode="0001"),  # 3: unknown postcode
    employer_row("E4", cvr="10150818"),  # 4: check digit wrong
    employer_row("E5", ceo="Jens Hansen"),  # 5: unknown field
    "",  # 6: blank lines are skipped
    employer_row("E7") | {"external_ref": None},  # 7: no import key
    b'{"external_ref": "E8", "name": "Caf\xe9"}',  # 8: not UTF-8
    employer_row("E9", cvr=VALID_CVRS[1], postcode="8000"),
    employer_row("E10", description="CPR 010190-1234"),  # 10: CPR-like text
    employer_row("E11", capacity=-2),  # 11: negative capacity
]


async def test_employer_import_writes_good_rows_and_reports_bad_ones(pool: asyncpg.Pool, tmp_path: Path) -> None:
    report = await import_file(pool, ImportKind.EMPLOYERS, jsonl(tmp_path / "e.jsonl", EMPLOYER_FILE), OPERATOR)

    assert report.written == 2
    reasons = rejected(report)
    assert sorted(reasons) == [2, 3, 4, 5, 7, 8, 10, 11]
    assert "JSON" in reasons[2]
    assert reasons[3].startswith("postcode:")
    assert reasons[4].startswith("cvr:")
    assert reasons[5] == "ceo: unknown field"
    assert reasons[7].startswith("external_ref:")
    assert "UTF-8" in reasons[8]
    assert reasons[10].startswith("description:")
    assert reasons[11].startswith("capacity:")
    assert await fetch(pool, "SELECT external_ref, cvr, postcode FROM employers ORDER BY external_ref") == [
        ("E1", VALID_CVRS[0], "2650"), ("E9", VALID_CVRS[1], "8000")]


async def test_reimport_updates_in_place(pool: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(pool, ImportKind.EMPLOYERS, jsonl(tmp_path / "e.jsonl", EMPLOYER_FILE), OPERATOR)
    first = await fetch(pool, "SELECT id, external_ref FROM employers ORDER BY external_ref")
    changed = [employer_row("E1", name="Alfa Lager ApS", capacity=4), *EMPLOYER_FILE[1:]]

    report = await import_file(pool, ImportKind.EMPLOYERS, jsonl(tmp_path / "e2.jsonl", changed), OPERATOR)

    assert (report.written, len(report.rejected)) == (2, 8)
    assert await fetch(pool, "SELECT id, external_ref FROM employers ORDER BY external_ref") == first
    assert await fetch(pool, "SELECT name, capacity FROM employers WHERE external_ref = 'E1'") == [
        ("Alfa Lager ApS", 4)]


async def test_opening_import_resolves_employer_refs(pool: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(pool, ImportKind.EMPLOYERS, jsonl(tmp_path / "e.jsonl", EMPLOYER_FILE), OPERATOR)
    rows: list[dict[str, Any] | bytes | str] = [
        opening_row("O1", "E1"),
        opening_row("O2", "E1", hours_min=35, hours_max=20),  # 2: hours_min above hours_max
        opening_row("O3", "E1", slots=-1),  # 3: negative slots
        opening_row("O4", "NO-SUCH-EMPLOYER"),  # 4: unknown employer
        opening_row("O5", "E1", schemes=["volunteering"]),  # 5: unknown scheme
        opening_row("O6", "E9", postcode="9000"),
        opening_row("O1", "E9"),  # 7: O1 belongs to E1
    ]

    report = await import_file(pool, ImportKind.OPENINGS, jsonl(tmp_path / "o.jsonl", rows), OPERATOR)

    reasons = rejected(report)
    assert report.written == 2
    assert sorted(reasons) == [2, 3, 4, 5, 7]
    assert reasons[2].startswith("hours_min:")
    assert reasons[3].startswith("slots:")
    assert reasons[4].startswith("employer_ref:")
    assert reasons[5].startswith("schemes.0:")
    assert reasons[7].startswith("external_ref:")
    assert await fetch(pool, """SELECT o.external_ref, e.external_ref, o.postcode FROM openings o
                                JOIN employers e ON e.id = o.employer_id ORDER BY 1""") == [
        ("O1", "E1", "2650"), ("O6", "E9", "9000")]

    again = await import_file(pool, ImportKind.OPENINGS, jsonl(tmp_path / "o2.jsonl", [opening_row("O1", "E1",
                                                                                              slots=3)]), OPERATOR)
    assert (again.written, again.rejected) == (1, [])
    assert await fetch(pool, "SELECT external_ref, slots FROM openings ORDER BY 1") == [("O1", 3), ("O6", 1)]


async def test_citizen_import_refuses_bad_rows_and_audits_good_ones(pool: asyncpg.Pool, tmp_path: Path) -> None:
    rows: list[dict[str, Any] | bytes | str] = [
        citizen_row("C1"),
        citizen_row("010190-1234"),  # 2: CPR-like reference
        citizen_row("C3", schemes=["flexjob"]),  # 3: flexjob for kontanthjaelp
        citizen_row("C4", limitations=["no_driving"]),  # 4: limitations without consent
        citizen_row("C5", jobcentre_code=100),  # 5: no such jobcentre
        citizen_row("C6", jobcentre_code=99999),  # 6: not even a kommune code
        citizen_row("C7", jobcentre_code=751, postcode="8000"),
        citizen_row("C8", jobcentre_code=None),  # 8: an operator import must say which jobcentre
        citizen_row("C9", unknown="x"),  # 9: unknown field
    ]

    report = await import_file(pool, ImportKind.CITIZENS, jsonl(tmp_path / "c.jsonl", rows), OPERATOR)

    reasons = rejected(report)
    assert report.written == 2
    assert sorted(reasons) == [2, 3, 4, 5, 6, 8, 9]
    for line, field in {2: "reference", 3: "schemes", 4: "limitations", 5: "jobcentre_code",
                        6: "jobcentre_code", 8: "jobcentre_code", 9: "unknown"}.items():
        assert reasons[line].startswith(f"{field}:"), (line, reasons[line])
    citizens = await fetch(pool, "SELECT id, reference, jobcentre_code FROM citizens ORDER BY reference")
    assert [(reference, code) for _, reference, code in citizens] == [("C1", 101), ("C7", 751)]
    assert await fetch(pool, "SELECT action, citizen_id, actor_id FROM audit_log ORDER BY id") == [
        ("import", citizen_id, OPERATOR.user_id) for citizen_id, _, _ in citizens]

    again = await import_file(pool, ImportKind.CITIZENS,
                              jsonl(tmp_path / "c2.jsonl", [citizen_row("C1", hours_max=20)]), OPERATOR)
    assert (again.written, again.rejected) == (1, [])
    assert await fetch(pool, "SELECT reference, hours_max FROM citizens ORDER BY reference") == [
        ("C1", 20), ("C7", 30)]


def test_cli_exits_1_listing_rejected_rows_and_0_when_all_are_written(cli_environment: None, tmp_path: Path,
                                                                      pool: asyncpg.Pool) -> None:
    from api.cli import app

    runner = CliRunner()
    mixed = jsonl(tmp_path / "mixed.jsonl", [employer_row("E1"), employer_row("E2", cvr="12345678")])
    good = jsonl(tmp_path / "good.jsonl", [employer_row("E1", name="Omdøbt ApS"), employer_row("E3")])
    report_file = tmp_path / "rejected.txt"

    first = runner.invoke(app, ["import", "employers", str(mixed), "--report", str(report_file), "--no-infer"])
    second = runner.invoke(app, ["import", "employers", str(good), "--no-infer"])

    assert first.exit_code == 1, first.output
    assert "1 employers written, 1 rejected" in first.output
    assert report_file.read_text(encoding="utf-8").startswith("line 2: cvr:")
    assert second.exit_code == 0, second.output
    assert "2 employers written, 0 rejected" in second.output
