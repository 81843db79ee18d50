"""The facts about a citizen and a placement that eligibility, features and explanations read.

Built by the repository from database rows; pure data, so the rules and features can be tested and
benchmarked without a database. A citizen profile holds no protected attribute: none is ever loaded.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

import numpy as np

from core.vocab import Need, Scheme, TargetGroup


@dataclass(frozen=True)
class Skill:
    """An opening's skill: its ESCO URI (explicit or inferred) and/or the text it was given as."""

    uri: str | None
    label: str
    essential: bool


@dataclass(frozen=True)
class CitizenProfile:
    id: uuid.UUID
    jobcentre_code: int
    reference: str
    target_group: TargetGroup
    postcode: str
    latitude: float
    longitude: float
    max_commute_km: int
    hours_min: int
    hours_max: int
    active: bool
    schemes: frozenset[Scheme]
    limitations: frozenset[str]
    needs: frozenset[Need]
    # ESCO skill URIs the citizen has: declared, inferred from their text, and essential to occupations
    # they have worked in for a year or more; plus their free-text skills, normalised.
    skill_uris: frozenset[str]
    skill_texts: frozenset[str]
    # ESCO occupation URI -> ISCO-08 4-digit group, for experience (and inferred) and for wishes.
    occupations: dict[str, str]
    wished_occupations: dict[str, str]
    wished_industries: frozenset[str]
    has_profile: bool
    vector: np.ndarray | None
    updated_at: dt.datetime
    consultant_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Placement:
    """A place a citizen could go: a posted opening, or an employer open to a scheme without one."""

    employer_id: uuid.UUID
    employer_name: str
    opening_id: uuid.UUID | None
    title: str | None
    schemes: frozenset[Scheme]
    postcode: str
    city: str
    latitude: float
    longitude: float
    hours_min: int | None
    hours_max: int | None
    physical_demands: str
    work_conditions: frozenset[str]
    occupation_uri: str | None
    occupation_isco: str | None
    skills: tuple[Skill, ...]
    status: str
    expires_on: dt.date | None
    start_date: dt.date | None
    employer_status: str
    employer_paused_until: dt.date | None
    employer_available_from: dt.date | None
    free_slots: int
    offers: frozenset[str]
    employer_industry: str | None
    past_placements: int
    past_successes: int
    others_open_suggestions: int
    changed_at: dt.datetime
    opening_vector: np.ndarray | None = None
    employer_vector: np.ndarray | None = None
    # For an employer without a posted opening: ISCO groups of the openings it has had.
    employer_isco_groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.employer_id), str(self.opening_id or ""))
