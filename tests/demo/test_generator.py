"""The demo-data generator: determinism, import-schema validity, consistency and the hidden outcome process."""

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citizens.schemas import CitizenCreate
from core.validation import is_valid_cvr, looks_like_cpr
from core.vocab import SCHEMES_BY_TARGET_GROUP, Scheme, TargetGroup
from demo import catalogue
from demo.generator import FILES, MANIFEST, OUTCOMES, SUCCESSFUL_OUTCOMES, generate
from demo.outcomes import PairFacts, success_logit
from employers.schemas import EmployerCreate, OpeningImport

POSTCODES_CSV = Path(__file__).resolve().parents[2] / "core" / "data" / "postcodes.csv"
PROTECTED = {"age", "age_band", "gender", "sex", "birth_date", "birth_year", "cpr", "ethnicity", "nationality"}


def rows(directory: Path, name: str) -> Iterator[dict[str, Any]]:
    with open(directory / name, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def small(out: Path, **overrides: Any) -> dict[str, int]:
    arguments: dict[str, Any] = {"jobcentres": (101, 851), "citizens": 120, "employers": 40, "seed": 5}
    arguments.update(overrides)
    return generate(out, **arguments)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mid-sized run shared by the checks that read its files."""
    out = tmp_path_factory.mktemp("demo")
    generate(out, jobcentres=(101, 751, 400), citizens=1500, employers=300, openings_per_employer=2.5, seed=11)
    return out


@pytest.fixture(scope="module")
def postcodes() -> set[str]:
    with open(POSTCODES_CSV, encoding="utf-8") as handle:
        return {row["postcode"] for row in csv.DictReader(handle)}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first, second = small(tmp_path / "a"), small(tmp_path / "b")
    assert first == second
    for name in (*FILES, MANIFEST):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_different_seed_gives_different_files(tmp_path: Path) -> None:
    small(tmp_path / "a")
    small(tmp_path / "b", seed=6)
    for name in ("employers.jsonl", "openings.jsonl", "citizens.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_counts_match_the_files_and_the_manifest(sample: Path) -> None:
    manifest = json.loads((sample / MANIFEST).read_text(encoding="utf-8"))
    for name in FILES:
        assert manifest["counts"][name] == sum(1 for _ in rows(sample, name))
    assert manifest["counts"]["citizens.jsonl"] == 1500
    assert manifest["counts"]["employers.jsonl"] == 300
    assert manifest["arguments"]["seed"] == 11
    assert manifest["taxonomy_data_version"].startswith("esco-")


def test_employers_validate_with_valid_unique_cvrs(sample: Path, postcodes: set[str]) -> None:
    cvrs, refs = set(), set()
    for row in rows(sample, "employers.jsonl"):
        employer = EmployerCreate.model_validate(row)
        assert is_valid_cvr(employer.cvr) and employer.cvr[0] != "0"
        assert employer.postcode in postcodes
        assert employer.external_ref is not None and employer.external_ref.startswith("demo-emp-")
        cvrs.add(employer.cvr)
        refs.add(employer.external_ref)
    assert len(cvrs) == len(refs) == 300


def test_openings_validate_and_belong_to_generated_employers(sample: Path, postcodes: set[str]) -> None:
    employers = {row["external_ref"] for row in rows(sample, "employers.jsonl")}
    with_uri = without_uri = 0
    for row in rows(sample, "openings.jsonl"):
        opening = OpeningImport.model_validate(row)
        assert opening.employer_ref in employers
        assert opening.postcode is None or opening.postcode in postcodes
        assert 3 <= len(opening.skills) <= 8
        assert any(skill.essential for skill in opening.skills)
        if Scheme.FLEXJOB in opening.schemes:
            assert opening.hours_max <= 25
        with_uri += opening.occupation_uri is not None
        without_uri += opening.occupation_uri is None
    assert with_uri > 5 * without_uri > 0


def test_some_employers_are_open_to_internship_without_openings(sample: Path) -> None:
    with_openings = {row["employer_ref"] for row in rows(sample, "openings.jsonl")}
    bare = [row for row in rows(sample, "employers.jsonl") if row["external_ref"] not in with_openings]
    assert bare
    assert all(Scheme.INTERNSHIP.value in row["schemes"] for row in bare)


def test_citizens_validate_with_schemes_their_target_group_allows(sample: Path, postcodes: set[str]) -> None:
    references = set()
    groups: dict[str, int] = {}
    for row in rows(sample, "citizens.jsonl"):
        citizen = CitizenCreate.model_validate(row)
        assert citizen.jobcentre_code in (101, 751, 400)
        assert citizen.consultant_id is None
        assert citizen.postcode in postcodes
        assert citizen.reference.startswith(f"demo-{citizen.jobcentre_code}-")
        assert not looks_like_cpr(citizen.reference)
        assert row["schemes"], "schemes are written explicitly"
        assert set(citizen.schemes) <= SCHEMES_BY_TARGET_GROUP[citizen.target_group]
        references.add((citizen.jobcentre_code, citizen.reference))
        groups[citizen.target_group] = groups.get(citizen.target_group, 0) + 1
    assert len(references) == 1500
    assert set(groups) == set(TargetGroup)
    assert groups[TargetGroup.DAGPENGE] > groups[TargetGroup.JOBAFKLARING]


def test_protected_attributes_only_in_the_audit_file(sample: Path) -> None:
    citizens = {(row["jobcentre_code"], row["reference"]) for row in rows(sample, "citizens.jsonl")}
    for name in FILES:
        if name == "citizen_audit_attributes.jsonl":
            continue
        for row in rows(sample, name):
            assert not PROTECTED & set(row), name
    audit = list(rows(sample, "citizen_audit_attributes.jsonl"))
    assert {(row["jobcentre_code"], row["reference"]) for row in audit} == citizens
    assert all(set(row) == {"reference", "jobcentre_code", "age_band", "gender"} for row in audit)


def test_protected_attributes_do_not_influence_anything_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small(tmp_path / "a")
    monkeypatch.setattr(catalogue, "GENDERS", (("female", 0.9), ("male", 0.1)))
    monkeypatch.setattr(catalogue, "AGE_BANDS", (("60+", 1.0),))
    small(tmp_path / "b")
    assert (tmp_path / "a" / "citizen_audit_attributes.jsonl").read_bytes() != (
        tmp_path / "b" / "citizen_audit_attributes.jsonl"
    ).read_bytes()
    for name in FILES:
        if name != "citizen_audit_attributes.jsonl":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_history_references_only_generated_entities(sample: Path) -> None:
    citizens = {(row["jobcentre_code"], row["reference"]) for row in rows(sample, "citizens.jsonl")}
    employers = {row["external_ref"] for row in rows(sample, "employers.jsonl")}
    openings = {row["external_ref"]: row["employer_ref"] for row in rows(sample, "openings.jsonl")}
    decisions = {row["external_ref"]: row for row in rows(sample, "decisions.jsonl")}
    placements = list(rows(sample, "placements.jsonl"))
    assert placements and decisions
    for row in [*decisions.values(), *placements]:
        assert (row["jobcentre_code"], row["citizen_ref"]) in citizens
        assert row["employer_ref"] in employers
        if row["opening_ref"] is not None:
            assert openings[row["opening_ref"]] == row["employer_ref"]
    for row in decisions.values():
        assert row["decision"] in ("accepted", "declined") and row["reason_code"]
        assert row["decided_on"] < "2026-01-05"
    for row in placements:
        decision = decisions[row["decision_ref"]]
        assert decision["decision"] == "accepted"
        assert (decision["citizen_ref"], decision["employer_ref"]) == (row["citizen_ref"], row["employer_ref"])
        assert row["outcome"] in OUTCOMES
        assert decision["decided_on"] < row["start_date"] <= row["end_date"] <= "2026-01-05"
    assert any(row["opening_ref"] is None for row in placements), "some placements are straight with an employer"


def test_placement_schemes_are_allowed_for_the_citizen_and_offered(sample: Path) -> None:
    citizens = {(row["jobcentre_code"], row["reference"]): row for row in rows(sample, "citizens.jsonl")}
    openings = {row["external_ref"]: row for row in rows(sample, "openings.jsonl")}
    for row in rows(sample, "placements.jsonl"):
        assert row["scheme"] in citizens[(row["jobcentre_code"], row["citizen_ref"])]["schemes"]
        if row["opening_ref"]:
            assert row["scheme"] in openings[row["opening_ref"]]["schemes"]


def test_high_essential_skill_overlap_succeeds_more_often(sample: Path) -> None:
    citizen_skills = {
        (row["jobcentre_code"], row["reference"]): {skill["uri"] for skill in row["skills"] if "uri" in skill}
        for row in rows(sample, "citizens.jsonl")
    }
    essential = {
        row["external_ref"]: {skill["uri"] for skill in row["skills"] if skill["essential"] and "uri" in skill}
        for row in rows(sample, "openings.jsonl")
    }
    high, none = [], []
    for row in rows(sample, "placements.jsonl"):
        required = essential.get(row["opening_ref"] or "")
        if not required:
            continue
        overlap = len(required & citizen_skills[(row["jobcentre_code"], row["citizen_ref"])]) / len(required)
        success = row["outcome"] in SUCCESSFUL_OUTCOMES
        if overlap >= 0.5:
            high.append(success)
        elif overlap == 0:
            none.append(success)
    assert len(high) >= 30 and len(none) >= 30
    assert sum(high) / len(high) > sum(none) / len(none) + 0.15


def test_the_outcome_process_rewards_fit_and_ignores_nothing_it_names() -> None:
    base = PairFacts(
        essential_overlap=0.0, experience_match=0.0, wish_match=0.0, commute_km=10.0, max_commute_km=25,
        hours_misfit=0.0, needs_total=1, needs_met=0, limitation_conflicts=0, host_quality=0.0,
        scheme=Scheme.INTERNSHIP,
    )
    better = [
        base.__class__(**{**base.__dict__, "essential_overlap": 1.0}),
        base.__class__(**{**base.__dict__, "experience_match": 1.0}),
        base.__class__(**{**base.__dict__, "wish_match": 1.0}),
        base.__class__(**{**base.__dict__, "needs_met": 1}),
        base.__class__(**{**base.__dict__, "host_quality": 0.5}),
    ]
    worse = [
        base.__class__(**{**base.__dict__, "commute_km": 40.0}),
        base.__class__(**{**base.__dict__, "hours_misfit": 1.0}),
        base.__class__(**{**base.__dict__, "limitation_conflicts": 1}),
    ]
    assert all(success_logit(facts) > success_logit(base) for facts in better)
    assert all(success_logit(facts) < success_logit(base) for facts in worse)


def test_unknown_jobcentre_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="jobcentres"):
        generate(tmp_path, jobcentres=(999,), citizens=1, employers=1)


def test_kommune_without_own_postcodes_still_gets_citizens(tmp_path: Path, postcodes: set[str]) -> None:
    small(tmp_path, jobcentres=(163,), citizens=20, employers=5)
    assert all(row["postcode"] in postcodes for row in rows(tmp_path, "citizens.jsonl"))


def test_files_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Set and dict iteration order must not leak into the files: this process (hash randomisation on,
    unless PYTHONHASHSEED is set) against a child process with hash randomisation off."""
    root = Path(__file__).resolve().parents[2]
    small(tmp_path / "here", citizens=80, employers=30)
    code = (
        "from pathlib import Path; from demo.generator import generate; "
        f"generate(Path({str(tmp_path / 'child')!r}), jobcentres=(101, 851), citizens=80, employers=30, seed=5)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True)
    for name in (*FILES, MANIFEST):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "child" / name).read_bytes(), name


def test_industries_and_work_conditions_follow_the_trade(sample: Path) -> None:
    known = {business.industry for sector in catalogue.SECTORS for business in sector.business_types}
    industry = {}
    for row in rows(sample, "employers.jsonl"):
        assert row["industry"] in known
        industry[row["external_ref"]] = row["industry"]
    conditions: dict[str, list[set[str]]] = {"warehouse": [], "office": []}
    for row in rows(sample, "openings.jsonl"):
        code = industry[row["employer_ref"]]
        if code == "5210":
            conditions["warehouse"].append(set(row["work_conditions"]))
        elif code in ("6920", "8220", "6910"):
            conditions["office"].append(set(row["work_conditions"]))
    warehouse, office = conditions["warehouse"], conditions["office"]
    assert warehouse and office
    assert sum("heavy_lifting" in found for found in warehouse) > 0.5 * len(warehouse)
    assert sum("mostly_sitting" in found for found in office) > 0.7 * len(office)
    assert sum("heavy_lifting" in found for found in office) < 0.2 * len(office)
