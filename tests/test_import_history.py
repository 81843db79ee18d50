"""Import of the demo history: decisions become suggestions, placements link to them; idempotent; bad rows
are reported with their line number while the others are written."""

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from core.importing import ImportKind, ImportReport, import_file
from core.vocab import Role
from demo.generator import generate
from users.schemas import OPERATOR, Principal

ENTITY_KINDS = (ImportKind.EMPLOYERS, ImportKind.OPENINGS, ImportKind.CITIZENS)


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def rejected(report: ImportReport) -> dict[int, str]:
    return {rejection.line: rejection.reason for rejection in report.rejected}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    counts = generate(out, jobcentres=(101, 751), citizens=60, employers=20, seed=3)
    assert counts["decisions.jsonl"] > counts["placements.jsonl"] > 5  # enough history to test with
    return out


async def import_entities(pool: asyncpg.Pool, demo_dir: Path) -> None:
    for kind in ENTITY_KINDS:
        report = await import_file(pool, kind, demo_dir / f"{kind.value}.jsonl", OPERATOR)
        assert report.rejected == [], (kind, report.rejected[:3])


async def import_history(pool: asyncpg.Pool, demo_dir: Path) -> tuple[ImportReport, ImportReport]:
    decisions = await import_file(pool, ImportKind.DECISIONS, demo_dir / "decisions.jsonl", OPERATOR)
    placements = await import_file(pool, ImportKind.PLACEMENTS, demo_dir / "placements.jsonl", OPERATOR)
    return decisions, placements


async def fetch(pool: asyncpg.Pool, query: str, *args: Any) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(query, *args))


SUGGESTIONS = """
    SELECT s.external_ref, c.reference AS citizen_ref, s.jobcentre_code, e.external_ref AS employer_ref,
           o.external_ref AS opening_ref, s.scheme, s.state AS decision, s.reason_code,
           (s.decided_at AT TIME ZONE 'Europe/Copenhagen')::date::text AS decided_on, s.origin, s.scorer_version
    FROM suggestions s JOIN citizens c ON c.id = s.citizen_id JOIN employers e ON e.id = s.employer_id
    LEFT JOIN openings o ON o.id = s.opening_id ORDER BY s.external_ref"""
PLACEMENTS = """
    SELECT p.id, p.external_ref, s.external_ref AS decision_ref, c.reference AS citizen_ref, p.jobcentre_code,
           e.external_ref AS employer_ref, o.external_ref AS opening_ref, p.scheme, p.start_date::text,
           p.end_date::text, p.outcome,
           (s.citizen_id, s.employer_id, s.opening_id) IS NOT DISTINCT FROM (p.citizen_id, p.employer_id, p.opening_id)
               AS same_pair,
           s.state AS decision
    FROM placements p JOIN citizens c ON c.id = p.citizen_id JOIN employers e ON e.id = p.employer_id
    LEFT JOIN openings o ON o.id = p.opening_id LEFT JOIN suggestions s ON s.id = p.suggestion_id
    ORDER BY p.external_ref"""


async def test_history_is_imported_with_its_links(pool: asyncpg.Pool, demo_dir: Path) -> None:
    decision_rows = read_rows(demo_dir / "decisions.jsonl")
    placement_rows = read_rows(demo_dir / "placements.jsonl")
    await import_entities(pool, demo_dir)

    decisions, placements = await import_history(pool, demo_dir)

    assert (decisions.written, decisions.rejected) == (len(decision_rows), [])
    assert (placements.written, placements.rejected) == (len(placement_rows), [])
    suggestions = await fetch(pool, SUGGESTIONS)
    assert [{key: row[key] for key in decision_rows[0]} for row in suggestions] == sorted(
        decision_rows, key=lambda row: row["external_ref"])
    assert {(row["origin"], row["scorer_version"]) for row in suggestions} == {("import", "import")}
    stored = await fetch(pool, PLACEMENTS)
    assert [{key: row[key] for key in placement_rows[0]} for row in stored] == sorted(
        placement_rows, key=lambda row: row["external_ref"])
    assert all(row["same_pair"] and row["decision"] == "accepted" for row in stored)
    audited = await fetch(pool, "SELECT detail->>'kind' AS kind, count(*) FROM audit_log WHERE action = 'import' "
                                "AND detail ? 'kind' GROUP BY 1 ORDER BY 1")
    assert [tuple(row) for row in audited] == [("decisions", len(decision_rows)),
                                                ("placements", len(placement_rows))]


async def test_reimport_is_idempotent(pool: asyncpg.Pool, demo_dir: Path) -> None:
    await import_entities(pool, demo_dir)
    await import_history(pool, demo_dir)
    suggestions_before = await fetch(pool, "SELECT * FROM suggestions ORDER BY id")
    placements_before = await fetch(pool, "SELECT * FROM placements ORDER BY id")

    decisions, placements = await import_history(pool, demo_dir)

    assert (decisions.rejected, placements.rejected) == ([], [])
    drop = {"updated_at"}
    assert [{k: v for k, v in row.items() if k not in drop} for row in await fetch(
        pool, "SELECT * FROM suggestions ORDER BY id")] == [
        {k: v for k, v in row.items() if k not in drop} for row in suggestions_before]
    assert [{k: v for k, v in row.items() if k not in drop} for row in await fetch(
        pool, "SELECT * FROM placements ORDER BY id")] == [
        {k: v for k, v in row.items() if k not in drop} for row in placements_before]


async def test_bad_decision_rows_are_rejected_with_their_line(pool: asyncpg.Pool, demo_dir: Path,
                                                              tmp_path: Path) -> None:
    await import_entities(pool, demo_dir)
    good = read_rows(demo_dir / "decisions.jsonl")[:3]
    declined = next(row for row in read_rows(demo_dir / "decisions.jsonl")[3:] if row["decision"] == "declined")
    rows = [
        good[0],
        good[1] | {"external_ref": "bad-2", "citizen_ref": "no-such-citizen"},  # 2
        good[1] | {"external_ref": "bad-3", "employer_ref": "no-such-employer"},  # 3
        good[1] | {"external_ref": "bad-4", "opening_ref": "no-such-opening"},  # 4
        good[1] | {"external_ref": "bad-5", "decision": "declined", "reason_code": "try_out"},  # 5
        good[1] | {"external_ref": "bad-6", "jobcentre_code": 100},  # 6: no such jobcentre
        good[1],
        good[0] | {"external_ref": "bad-8"},  # 8: the same pair as line 1 under another reference
        good[2] | {"external_ref": "bad-9", "scheme": "flexjob"},  # 9: not for this target group
        declined,
    ]

    report = await import_file(pool, ImportKind.DECISIONS, write_rows(tmp_path / "d.jsonl", rows), OPERATOR)

    reasons = rejected(report)
    assert sorted(reasons) == [2, 3, 4, 5, 6, 8, 9]
    for line, field in {2: "citizen_ref", 3: "employer_ref", 4: "opening_ref", 5: "reason_code",
                        6: "jobcentre_code", 8: "external_ref", 9: "scheme"}.items():
        assert reasons[line].startswith(f"{field}:"), (line, reasons[line])
    assert report.written == 3
    stored = {row["external_ref"] for row in await fetch(pool, "SELECT external_ref FROM suggestions")}
    assert stored == {good[0]["external_ref"], good[1]["external_ref"], declined["external_ref"]}

    flipped = declined | {"decision": "accepted", "reason_code": "skills_match"}
    again = await import_file(pool, ImportKind.DECISIONS, write_rows(tmp_path / "d2.jsonl", [flipped]), OPERATOR)
    assert rejected(again)[1].startswith("decision:") and "final" in rejected(again)[1]
    assert [row["state"] for row in await fetch(pool, "SELECT state FROM suggestions WHERE external_ref = $1",
                                                declined["external_ref"])] == ["declined"]


async def test_bad_placement_rows_are_rejected_with_their_line(pool: asyncpg.Pool, demo_dir: Path,
                                                               tmp_path: Path) -> None:
    await import_entities(pool, demo_dir)
    await import_file(pool, ImportKind.DECISIONS, demo_dir / "decisions.jsonl", OPERATOR)
    first, second, *_ = read_rows(demo_dir / "placements.jsonl")
    declined = next(row for row in read_rows(demo_dir / "decisions.jsonl") if row["decision"] == "declined")
    rows = [
        first,
        second | {"external_ref": "bad-2", "decision_ref": "no-such-decision"},  # 2
        second | {"external_ref": "bad-3", "decision_ref": first["decision_ref"]},  # 3: another pair's decision
        second | {"external_ref": "bad-4", "end_date": "2000-01-01"},  # 4: ends before it starts
        second | {"external_ref": "bad-5", "outcome": "hired", "end_date": None},  # 5: an ended one needs a date
        second | {"external_ref": "bad-6", "citizen_ref": "no-such-citizen"},  # 6
        {key: value for key, value in declined.items() if key not in ("decision", "reason_code", "decided_on")}
        | {"external_ref": "bad-7", "decision_ref": declined["external_ref"], "start_date": "2025-01-01"},  # 7
        second,
        second | {"external_ref": "bad-9"},  # 9: the decision already led to the placement on line 8
    ]

    report = await import_file(pool, ImportKind.PLACEMENTS, write_rows(tmp_path / "p.jsonl", rows), OPERATOR)

    reasons = rejected(report)
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 9], reasons
    for line, field in {2: "decision_ref", 3: "decision_ref", 4: "end_date", 5: "end_date", 6: "citizen_ref",
                        7: "decision_ref", 9: "decision_ref"}.items():
        assert reasons[line].startswith(f"{field}:"), (line, reasons[line])
    assert "declined" in reasons[7]
    assert report.written == 2
    assert {row["external_ref"] for row in await fetch(pool, "SELECT external_ref FROM placements")} == {
        first["external_ref"], second["external_ref"]}


async def test_reimport_does_not_change_a_final_outcome(pool: asyncpg.Pool, demo_dir: Path,
                                                        tmp_path: Path) -> None:
    await import_entities(pool, demo_dir)
    await import_history(pool, demo_dir)
    rows = read_rows(demo_dir / "placements.jsonl")
    final = next(row for row in rows if row["outcome"] != "extended")
    changed = final | {"outcome": "extended" if final["outcome"] != "extended" else "hired"}

    report = await import_file(pool, ImportKind.PLACEMENTS, write_rows(tmp_path / "p.jsonl", [changed]), OPERATOR)

    assert rejected(report)[1].startswith("outcome:")
    stored = await fetch(pool, "SELECT outcome FROM placements WHERE external_ref = $1", final["external_ref"])
    assert [row["outcome"] for row in stored] == [final["outcome"]]


async def test_staff_import_only_into_their_own_jobcentre(pool: asyncpg.Pool, demo_dir: Path,
                                                          tmp_path: Path) -> None:
    await import_entities(pool, demo_dir)
    rows = read_rows(demo_dir / "decisions.jsonl")
    consultant = Principal(user_id=uuid.uuid4(), role=Role.CONSULTANT, name="import", jobcentre_code=101)
    own = [row for row in rows if row["jobcentre_code"] == 101][:2]
    foreign = [row for row in rows if row["jobcentre_code"] == 751][:1]

    report = await import_file(pool, ImportKind.DECISIONS, write_rows(tmp_path / "d.jsonl", own + foreign),
                               consultant)

    assert report.written == 2
    assert list(rejected(report)) == [3] and rejected(report)[3].startswith("jobcentre_code:")


def test_cli_imports_decisions_and_placements(cli_environment: None, demo_dir: Path, pool: asyncpg.Pool) -> None:
    from api.cli import app

    runner = CliRunner()
    for kind in ("employers", "openings", "citizens", "decisions", "placements"):
        result = runner.invoke(app, ["import", kind, str(demo_dir / f"{kind}.jsonl"), "--no-infer"])

        assert result.exit_code == 0, result.output
        lines = len(read_rows(demo_dir / f"{kind}.jsonl"))
        assert f"{lines} {kind} written, 0 rejected" in result.output
