"""Entity texts: what goes into a vector, what never does, and when the hash changes."""

import uuid

from embeddings.schemas import EntityKind
from embeddings.texts import (
    Labels,
    citizen_text,
    content_hash,
    employer_text,
    industry_label,
    opening_text,
    references,
)

FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
LABELS = Labels(occupations={WAREHOUSE_WORKER: "lagerarbejder"}, skills={FORKLIFT: "operate forklift"})


def citizen_row(**overrides: object) -> dict[str, object]:
    """A citizens row as the database holds it, sensitive columns included."""
    row: dict[str, object] = {
        "id": uuid.uuid4(), "reference": "BRG-2026-0417", "postcode": "2200", "jobcentre_code": 101,
        "target_group": "kontanthjaelp",
        "skills": [{"text": "truckcertifikat", "uri": None}, {"uri": FORKLIFT, "text": None}],
        "experience": [{"title": "pakkeriarbejder", "occupation_uri": None, "years": 3},
                       {"title": None, "occupation_uri": WAREHOUSE_WORKER, "years": 1}],
        "education_level": "vocational",
        "wishes": {"occupations": [{"text": "chauffør", "uri": None}], "industries": ["4941"],
                   "text": "Gerne  udendørs\narbejde."},
        "limitations": ["no_heavy_lifting", "reduced_stamina"], "limitations_consent": True,
        "needs": ["mentor", "language_support"], "max_commute_km": 20, "hours_min": 15, "hours_max": 30,
    }
    row.update(overrides)
    return row


def test_citizen_text_describes_the_work_and_nothing_personal() -> None:
    text = citizen_text(citizen_row(), LABELS)

    for wanted in ("truckcertifikat", "operate forklift", "pakkeriarbejder", "lagerarbejder", "chauffør",
                   "transport og godshåndtering", "Gerne udendørs arbejde.", "erhvervsuddannelse"):
        assert wanted in text
    for private in ("BRG-2026-0417", "2200", "101", "kontanthjaelp", "heavy", "lifting", "stamina",
                    "mentor", "language", "limitation"):
        assert private not in text.lower()


def test_sensitive_columns_do_not_change_the_citizen_text() -> None:
    base = citizen_text(citizen_row(), LABELS)
    other = citizen_text(citizen_row(reference="X-1", postcode="8000", limitations=[], needs=[]), LABELS)
    assert other == base


def test_citizen_without_any_profile_has_an_empty_text() -> None:
    row = citizen_row(skills=[], experience=[], education_level=None, wishes={})
    assert citizen_text(row, Labels()) == ""


def test_opening_text_holds_title_occupation_description_and_skills() -> None:
    row = {"id": uuid.uuid4(), "title": "Lagermedarbejder", "description": "Pluk og pak af ordrer.",
           "occupation_uri": WAREHOUSE_WORKER, "postcode": "2650",
           "skills": [{"text": "truckcertifikat", "essential": True}, {"uri": FORKLIFT, "essential": False}]}

    text = opening_text(row, LABELS)

    assert text.splitlines()[0] == "Lagermedarbejder"
    for wanted in ("lagerarbejder", "Pluk og pak af ordrer.", "truckcertifikat", "operate forklift"):
        assert wanted in text
    assert "2650" not in text


def test_employer_text_names_offers_in_danish() -> None:
    row = {"id": uuid.uuid4(), "name": "Hansen Lager ApS", "industry": "521000", "description": "Lager.",
           "offers_mentor": True, "offers_reduced_hours": False, "offers_flexible_hours": True,
           "offers_gradual_start": True, "physical_demands": "high", "accommodations": ["hearing_loop"],
           "cvr": "10150817", "postcode": "2650"}

    text = employer_text(row)

    for wanted in ("Hansen Lager ApS", "transport og godshåndtering", "mentor", "fleksible arbejdstider",
                   "gradvis opstart", "hearing loop", "Fysiske krav: høje"):
        assert wanted in text
    assert "nedsat tid" not in text
    assert "10150817" not in text and "2650" not in text


def test_references_collect_uris_needing_labels() -> None:
    refs = references(EntityKind.CITIZEN, [citizen_row()])
    assert refs.skills == {FORKLIFT}
    assert refs.occupations == {WAREHOUSE_WORKER}
    assert references(EntityKind.EMPLOYER, [{"name": "x"}]).skills == frozenset()


def test_industry_label_by_section() -> None:
    assert industry_label("8810") == "sundhed og socialvæsen"
    assert industry_label("47") == "handel"
    assert industry_label(None) is None
    assert industry_label("04") is None


def test_content_hash_depends_on_text_and_encoder() -> None:
    digest = content_hash("Lagermedarbejder", "enc-a")
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert content_hash("Lagermedarbejder", "enc-a") == digest
    assert content_hash("Lagermedarbejder ", "enc-a") != digest
    assert content_hash("Lagermedarbejder", "enc-b") != digest
