"""Profiles (`matching.profiles`) from the rows `matching.repository` reads: what a citizen has, wishes
and needs, and what a placement offers and asks for."""

from typing import Any

import asyncpg
import numpy as np

from core.vocab import Need, Scheme, TargetGroup
from matching.features import normalise_text
from matching.profiles import CitizenProfile, Placement, Skill
from matching.repository import PlacementCounts
from taxonomy.snapshot import TaxonomySnapshot

EXPERIENCE_YEARS_FOR_SKILLS = 1.0
NEED_OFFER_FLAGS = {Need.MENTOR: "offers_mentor", Need.GRADUAL_START: "offers_gradual_start",
                    Need.REDUCED_HOURS: "offers_reduced_hours", Need.FLEXIBLE_HOURS: "offers_flexible_hours"}


def vector(value: Any) -> np.ndarray | None:
    return None if value is None else np.asarray(value.to_numpy(), dtype=np.float32)


def citizen_profile(row: asyncpg.Record, taxonomy: TaxonomySnapshot) -> CitizenProfile:
    skills = row["skills"] or []
    experience = row["experience"] or []
    wishes = row["wishes"] or {}
    inferred = row["inferred_occupations"] or []
    wish_texts = {item.get("text") for item in wishes.get("occupations", []) if item.get("text")}
    occupations = {item["occupation_uri"] for item in experience if item.get("occupation_uri")}
    occupations |= {item["uri"] for item in inferred if item.get("from") not in wish_texts}
    wished = {item["uri"] for item in wishes.get("occupations", []) if item.get("uri")}
    wished |= {item["uri"] for item in inferred if item.get("from") in wish_texts}
    skill_uris = {item["uri"] for item in skills if item.get("uri")}
    skill_uris |= {item["uri"] for item in row["inferred_skills"] or []}
    for item in experience:
        if item.get("occupation_uri") and float(item.get("years") or 0) >= EXPERIENCE_YEARS_FOR_SKILLS:
            skill_uris |= taxonomy.essential_skills.get(item["occupation_uri"], frozenset())
    return CitizenProfile(
        id=row["id"], jobcentre_code=row["jobcentre_code"], reference=row["reference"],
        consultant_id=row["consultant_id"], target_group=TargetGroup(row["target_group"]),
        postcode=row["postcode"], latitude=row["latitude"], longitude=row["longitude"],
        max_commute_km=row["max_commute_km"], hours_min=row["hours_min"], hours_max=row["hours_max"],
        active=row["active"], schemes=frozenset(Scheme(item) for item in row["schemes"]),
        limitations=frozenset(row["limitations"]), needs=frozenset(Need(item) for item in row["needs"]),
        skill_uris=frozenset(skill_uris),
        skill_texts=frozenset(normalise_text(item["text"]) for item in skills if item.get("text")),
        occupations={uri: taxonomy.occupation_isco[uri] for uri in occupations if uri in taxonomy.occupation_isco},
        wished_occupations={uri: taxonomy.occupation_isco[uri] for uri in wished if uri in taxonomy.occupation_isco},
        wished_industries=frozenset(wishes.get("industries", [])),
        has_profile=bool(skills or experience or wishes.get("occupations") or wishes.get("text")),
        vector=vector(row["embedding"]), updated_at=row["updated_at"])


def retrieval_occupations(row: asyncpg.Record) -> list[str]:
    """The occupations a citizen is found by for an opening's occupation group
    (`repository.citizen_ids_by_occupation`): worked in, inferred from their texts, or wished for."""
    items = [*(row["experience"] or []), *(row["inferred_occupations"] or []),
             *((row["wishes"] or {}).get("occupations") or [])]
    found = {item["occupation_uri"] if item.get("occupation_uri") is not None else item.get("uri") for item in items}
    return sorted(uri for uri in found if uri is not None)


def offers(row: asyncpg.Record) -> frozenset[str]:
    offered = {need.value for need, flag in NEED_OFFER_FLAGS.items() if row[flag]}
    return frozenset(offered | set(row["accommodations"] or []))


def opening_skills(row: asyncpg.Record, taxonomy: TaxonomySnapshot) -> tuple[Skill, ...]:
    inferred_by_text = {item.get("from"): item["uri"] for item in row["inferred_skills"] or []}
    skills = []
    for item in row["skills"] or []:
        uri = item.get("uri") or inferred_by_text.get(item.get("text"))
        label = item.get("text") or taxonomy.skill_labels.get(uri or "", uri or "")
        skills.append(Skill(uri=uri, label=label, essential=bool(item.get("essential", True))))
    return tuple(skills)


def placement_from_row(row: asyncpg.Record, taxonomy: TaxonomySnapshot, *, opening: bool,
                       vectors: tuple[np.ndarray | None, np.ndarray | None] | None = None,
                       counts: PlacementCounts | None = None) -> Placement:
    """A placement (an opening, or an employer without one) from its row; with `vectors`, the opening's
    and employer's vectors are those given (the row then has none); with `counts`, its free slots, other
    citizens' open suggestions and the employer's track record are those counted (the row then counts
    nothing: `repository.UNCOUNTED_OPENING_FACTS`)."""
    free_slots, others_open = row["free_slots"], row["others_open_suggestions"]
    past_placements, past_successes = row["past_placements"], row["past_successes"]
    if counts is not None:
        employer_id = row["employer_id"]
        if opening:
            free_slots -= counts.active_by_opening.get(row["opening_id"], 0)
            others_open = counts.open_by_opening.get(row["opening_id"], 0)
        else:
            free_slots -= counts.active_by_employer.get(employer_id, 0)
            others_open = counts.open_by_employer.get(employer_id, 0)
        past_placements, past_successes = counts.track_by_employer.get(employer_id, (0, 0))
    occupation_uri = row["occupation_uri"] if opening else None
    if vectors is not None:
        opening_vector, employer_vector = vectors
    else:
        opening_vector = vector(row["opening_vector"]) if opening else None
        employer_vector = vector(row["employer_vector"])
    return Placement(
        employer_id=row["employer_id"], employer_name=row["employer_name"],
        opening_id=row["opening_id"] if opening else None, title=row["title"] if opening else None,
        schemes=frozenset(Scheme(item) for item in row["schemes"]), postcode=row["postcode"], city=row["city"],
        latitude=row["latitude"], longitude=row["longitude"],
        hours_min=row["hours_min"] if opening else None, hours_max=row["hours_max"] if opening else None,
        physical_demands=row["physical_demands"],
        work_conditions=frozenset(row["work_conditions"]) if opening else frozenset(),
        occupation_uri=occupation_uri, occupation_isco=taxonomy.occupation_isco.get(occupation_uri or ""),
        skills=opening_skills(row, taxonomy) if opening else (),
        status=row["status"] if opening else "open", expires_on=row["expires_on"] if opening else None,
        start_date=row["start_date"] if opening else None, employer_status=row["employer_status"],
        employer_paused_until=row["employer_paused_until"],
        employer_available_from=row["employer_available_from"], free_slots=free_slots,
        offers=offers(row), employer_industry=row["employer_industry"],
        past_placements=past_placements, past_successes=past_successes,
        others_open_suggestions=others_open, changed_at=row["changed_at"],
        opening_vector=opening_vector, employer_vector=employer_vector,
        employer_isco_groups=frozenset() if opening else frozenset(row["isco_groups"] or []))
