"""Pair features (see scoring.features and docs/features.md), with the facts behind them that the
explanation quotes. Pure functions of the two profiles and the date: same input, same numbers.
"""

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from core.vocab import Scheme, TargetGroup
from matching import eligibility
from matching.profiles import CitizenProfile, Placement
from scoring.features import FEATURE_INDEX, FEATURE_NAMES

# How well each scheme suits a target group (0 to 1): a try-out first for those furthest from work,
# an ordinary job for the insured unemployed, flexjob for those visitated to it.
SCHEME_SUITABILITY: dict[TargetGroup, dict[Scheme, float]] = {
    TargetGroup.DAGPENGE: {Scheme.ORDINARY: 1.0, Scheme.WAGE_SUBSIDY: 0.6, Scheme.INTERNSHIP: 0.5},
    TargetGroup.KONTANTHJAELP: {Scheme.INTERNSHIP: 0.8, Scheme.ORDINARY: 0.7, Scheme.WAGE_SUBSIDY: 0.7},
    TargetGroup.UDDANNELSESHJAELP: {Scheme.INTERNSHIP: 0.8, Scheme.ORDINARY: 0.7, Scheme.WAGE_SUBSIDY: 0.6},
    TargetGroup.RESSOURCEFORLOEB: {Scheme.INTERNSHIP: 1.0, Scheme.WAGE_SUBSIDY: 0.6, Scheme.ORDINARY: 0.4},
    TargetGroup.JOBAFKLARING: {Scheme.INTERNSHIP: 1.0, Scheme.ORDINARY: 0.5},
    TargetGroup.SYGEDAGPENGE: {Scheme.INTERNSHIP: 0.9, Scheme.ORDINARY: 0.7},
    TargetGroup.LEDIGHEDSYDELSE: {Scheme.FLEXJOB: 1.0, Scheme.INTERNSHIP: 0.7},
}

TRACK_RECORD_PRIOR = 0.5  # success rate assumed for an employer without history
TRACK_RECORD_WEIGHT = 4.0  # pseudo-placements of that prior: history outweighs it after a few placements
FRESHNESS_DAYS = 60.0
LOAD_CAP = 5.0
EXPERIENCE_SATURATION = 50

_WORDS = re.compile(r"\w+")


@functools.lru_cache(maxsize=65536)
def normalise_text(text: str) -> str:
    """Lower-case words joined by single spaces: how free-text skills are compared (skill labels repeat
    across placements and requests, hence the cache)."""
    return " ".join(_WORDS.findall(text.lower()))


@dataclass(frozen=True)
class PairFacts:
    """The features of one pair and the facts the explanation quotes."""

    scheme: Scheme
    commute_km: float
    features: np.ndarray
    essential_total: int
    essential_matched: tuple[str, ...]
    occupation_level: int  # 0 none, 2/3/4 ISCO digits, 5 the same occupation
    occupation_uri: str | None  # the citizen's occupation that matched
    wish_uri: str | None
    wish_industry: bool
    hours_gap: int
    needs_met: tuple[str, ...]
    needs_unmet: tuple[str, ...]


def choose_scheme(citizen: CitizenProfile, placement: Placement, wanted: Scheme | None) -> Scheme | None:
    """The shared scheme that suits the citizen's target group best (ties by name, for determinism)."""
    options = eligibility.shared_schemes(citizen, placement, wanted)
    if not options:
        return None
    suitability = SCHEME_SUITABILITY[citizen.target_group]
    return max(sorted(options), key=lambda scheme: suitability.get(scheme, 0.0))


def _occupation_level(group_a: str, group_b: str) -> int:
    for digits in (4, 3, 2):
        if group_a[:digits] == group_b[:digits]:
            return digits
    return 0


def _best_occupation(occupations: dict[str, str], uri: str | None, isco: str | None,
                     extra_groups: frozenset[str] = frozenset()) -> tuple[int, str | None]:
    """(level, the citizen's occupation that matched best): 5 exact, 4/3/2 ISCO digits shared, 0 none."""
    best: tuple[int, str | None] = (0, None)
    for own_uri, own_group in sorted(occupations.items()):
        if uri is not None and own_uri == uri:
            return 5, own_uri
        groups = ([isco] if isco else []) + sorted(extra_groups)
        level = max((_occupation_level(own_group, group) for group in groups), default=0)
        if level > best[0]:
            best = (level, own_uri)
    return best


_LEVEL_VALUE = {5: 1.0, 4: 0.75, 3: 0.5, 2: 0.25, 0: 0.0}


def _cosine(left: np.ndarray | None, right: np.ndarray | None) -> float:
    """Cosine of two unit vectors; NaN (unknown, which scorers treat as neutral) when one is missing."""
    if left is None or right is None or len(left) != len(right):
        return math.nan
    return float(np.dot(left, right))


def pair_facts(citizen: CitizenProfile, placement: Placement, *, scheme: Scheme, commute_km: float,
               today: dt.date) -> PairFacts:
    values = np.zeros(len(FEATURE_NAMES), dtype=np.float64)

    def put(name: str, value: float) -> None:
        values[FEATURE_INDEX[name]] = value

    # Without a posted opening the employer's profile is the placement's text.
    placement_vector = placement.opening_vector if placement.opening_id is not None else placement.employer_vector
    put("semantic_opening", _cosine(citizen.vector, placement_vector))
    put("semantic_employer", _cosine(citizen.vector, placement.employer_vector))

    level, matched_occupation = _best_occupation(
        citizen.occupations, placement.occupation_uri, placement.occupation_isco,
        placement.employer_isco_groups if placement.opening_id is None else frozenset())
    put("occupation_match", _LEVEL_VALUE[level])

    essential = [skill for skill in placement.skills if skill.essential]
    matched = tuple(skill.label for skill in essential
                    if (skill.uri is not None and skill.uri in citizen.skill_uris)
                    or normalise_text(skill.label) in citizen.skill_texts)
    put("essential_skill_share", len(matched) / len(essential) if essential else 0.0)

    wish_level, wish_uri = _best_occupation(
        citizen.wished_occupations, placement.occupation_uri, placement.occupation_isco,
        placement.employer_isco_groups if placement.opening_id is None else frozenset())
    wish_industry = bool(placement.employer_industry) and any(
        placement.employer_industry is not None and placement.employer_industry.startswith(industry[:2])
        for industry in citizen.wished_industries)
    wish_value = 1.0 if wish_level == 5 else 0.5 if wish_level >= 4 or wish_industry else 0.0
    put("wish_match", wish_value)

    put("commute_km", commute_km)
    put("commute_share", commute_km / citizen.max_commute_km)
    gap = eligibility.hours_gap(citizen, placement)
    put("hours_fit", max(0.0, 1.0 - 0.1 * gap))

    met = tuple(need for need in sorted(citizen.needs) if need in placement.offers)
    unmet = tuple(need for need in sorted(citizen.needs) if need not in placement.offers)
    if citizen.needs:
        put("needs_met_share", len(met) / len(citizen.needs))
        put("needs_unmet_share", len(unmet) / len(citizen.needs))

    put("scheme_preference", SCHEME_SUITABILITY[citizen.target_group].get(scheme, 0.0))
    put("employer_track_record", (placement.past_successes + TRACK_RECORD_WEIGHT * TRACK_RECORD_PRIOR)
        / (placement.past_placements + TRACK_RECORD_WEIGHT))
    put("employer_experience", min(1.0, math.log1p(placement.past_placements) / math.log1p(EXPERIENCE_SATURATION)))
    load = placement.others_open_suggestions / max(placement.free_slots, 1)
    put("employer_load", min(load, LOAD_CAP) / LOAD_CAP)
    age_days = max(0.0, (today - placement.changed_at.date()).days)
    put("freshness", math.exp(-age_days / FRESHNESS_DAYS))
    put("posted_opening", 1.0 if placement.opening_id is not None else 0.0)

    return PairFacts(scheme=scheme, commute_km=commute_km, features=values, essential_total=len(essential),
                     essential_matched=matched, occupation_level=level, occupation_uri=matched_occupation,
                     wish_uri=wish_uri if wish_level == 5 or wish_level >= 4 else None,
                     wish_industry=wish_industry, hours_gap=gap, needs_met=met, needs_unmet=unmet)
