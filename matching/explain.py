"""Explanation texts for the consultant, in Danish (default) or English, built from the contributions.

A reason is only ever given for a feature whose contribution to this pair's score is positive, and it
quotes the facts behind the number; caveats (warnings) come from the pair's facts, whatever the score.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np

from core.vocab import SCHEME_LABELS_DA
from matching import eligibility
from matching.features import PairFacts
from matching.profiles import CitizenProfile, Placement
from scoring.features import FEATURE_INDEX, FEATURE_NAMES

Language = Literal["da", "en"]

# Below this a contribution is too small to be worth a sentence.
MIN_CONTRIBUTION = 0.005
MAX_REASONS = 4
MAX_LISTED_SKILLS = 3
LONG_COMMUTE_SHARE = 0.8
BUSY_LOAD = 0.4  # employer_load feature: 2 open suggestions per free slot
LATE_START_DAYS = 60

NEED_LABELS: dict[str, tuple[str, str]] = {
    "mentor": ("mentor", "a mentor"),
    "gradual_start": ("gradvis opstart", "a gradual start"),
    "reduced_hours": ("nedsat tid", "reduced hours"),
    "flexible_hours": ("fleksible arbejdstider", "flexible hours"),
    "quiet_workspace": ("en rolig arbejdsplads", "a quiet workspace"),
    "adapted_workstation": ("en tilpasset arbejdsplads", "an adapted workstation"),
    "language_support": ("sprogstøtte", "language support"),
}


@dataclass(frozen=True)
class Labels:
    """Danish (or English) labels for the ESCO occupations and ISCO groups a response mentions."""

    occupations: dict[str, str]
    isco_groups: dict[str, str]


@dataclass(frozen=True)
class Explained:
    reasons: list[dict[str, object]]
    warnings: list[dict[str, str]]
    text: str


def _listing(items: list[str], lang: Language) -> str:
    if len(items) <= 1:
        return "".join(items)
    joiner = " og " if lang == "da" else " and "
    return ", ".join(items[:-1]) + joiner + items[-1]


def _needs(needs: tuple[str, ...], lang: Language) -> str:
    return _listing([NEED_LABELS[need][0 if lang == "da" else 1] for need in needs], lang)


def _skills_reason(facts: PairFacts, lang: Language) -> str:
    shown = list(facts.essential_matched[:MAX_LISTED_SKILLS])
    more = " …" if len(facts.essential_matched) > MAX_LISTED_SKILLS else ""
    listed = f" ({', '.join(shown)}{more})" if shown else ""
    share = len(facts.essential_matched) / max(facts.essential_total, 1)
    if lang == "da":
        strength = "Stærkt kompetencematch" if share >= 0.6 else "Kompetencematch"
        return (f"{strength}: {len(facts.essential_matched)} af {facts.essential_total} nødvendige "
                f"kompetencer{listed}.")
    strength = "Strong skills match" if share >= 0.6 else "Skills match"
    return f"{strength}: {len(facts.essential_matched)} of {facts.essential_total} essential skills{listed}."


def _occupation_reason(facts: PairFacts, placement: Placement, labels: Labels, lang: Language) -> str:
    own = labels.occupations.get(facts.occupation_uri or "", "")
    if facts.occupation_level == 5:
        return f"Har erfaring som {own}." if lang == "da" else f"Has worked as {own}."
    group = (placement.occupation_isco or "")[:facts.occupation_level]
    group_label = labels.isco_groups.get(group, "")
    field = f" ({group_label.lower()})" if group_label else ""
    if lang == "da":
        return f"Erfaring fra et beslægtet fag: {own}{field}." if own else f"Erfaring fra et beslægtet fag{field}."
    return f"Experience in a related occupation: {own}{field}." if own else f"Related experience{field}."


def _wish_reason(facts: PairFacts, labels: Labels, lang: Language) -> str:
    wished = labels.occupations.get(facts.wish_uri or "", "")
    if wished:
        return (f"Passer med borgerens ønske om arbejde som {wished}." if lang == "da"
                else f"Fits the citizen's wish to work as {wished}.")
    return ("Passer med borgerens ønske om branche." if lang == "da"
            else "Fits the citizen's wished industry.")


def _reason_text(name: str, citizen: CitizenProfile, placement: Placement, facts: PairFacts, labels: Labels,
                 lang: Language) -> tuple[str, str] | None:
    """(code, text) for a feature that contributed, or None when it has nothing to say."""
    da = lang == "da"
    if name == "essential_skill_share" and facts.essential_matched:
        return "skills_match", _skills_reason(facts, lang)
    if name == "occupation_match" and facts.occupation_level:
        return "occupation_match", _occupation_reason(facts, placement, labels, lang)
    if name == "wish_match" and (facts.wish_uri or facts.wish_industry):
        return "wish_match", _wish_reason(facts, labels, lang)
    if name == "commute_share":
        km, limit = round(facts.commute_km), citizen.max_commute_km
        return "close_to_home", (f"{km} km fra bopæl (maks. {limit})." if da else f"{km} km from home (max {limit}).")
    if name == "needs_met_share" and facts.needs_met:
        needs = _needs(facts.needs_met, lang)
        verb = "som borgeren har brug for" if da else "which the citizen needs"
        return "needs_met", (f"Virksomheden tilbyder {needs}, {verb}." if da
                             else f"The employer offers {needs}, {verb}.")
    if name == "scheme_preference":
        label = SCHEME_LABELS_DA[facts.scheme] if da else eligibility.SCHEME_LABELS_EN[facts.scheme]
        return "scheme_fit", (f"{label.capitalize()} passer godt til borgerens situation." if da
                              else f"{label.capitalize()} suits the citizen's situation.")
    if name == "employer_track_record" and placement.past_placements:
        counts = f"{placement.past_successes} af {placement.past_placements}" if da else \
            f"{placement.past_successes} of {placement.past_placements}"
        return "employer_track_record", (f"Gode erfaringer med virksomheden: {counts} forløb lykkedes." if da
                                         else f"Good record: {counts} past placements succeeded.")
    if name == "semantic_opening" and placement.opening_id is not None:
        return "profile_similarity", ("Borgerens profil ligner stillingens indhold." if da
                                      else "The citizen's profile reads like the opening.")
    if name == "semantic_employer":
        return "employer_similarity", ("Borgerens profil passer til virksomhedens profil." if da
                                       else "The citizen's profile fits the employer's profile.")
    if name == "freshness":
        return "recent", ("Nyligt opslået eller opdateret." if da else "Recently posted or updated.")
    return None


def _hours(placement: Placement) -> str:
    if placement.hours_min == placement.hours_max:
        return f"{placement.hours_min}"
    return f"{placement.hours_min}–{placement.hours_max}"


def warnings_for(citizen: CitizenProfile, placement: Placement, facts: PairFacts, *, today: dt.date,
                 lang: Language) -> list[dict[str, str]]:
    da = lang == "da"
    found: list[tuple[str, str]] = []
    hours = _hours(placement)
    if facts.hours_gap and placement.hours_min is not None:
        if placement.hours_min > citizen.hours_max:
            text = (f"{hours} timer/uge, borgeren ønsker højst {citizen.hours_max}." if da else
                    f"{hours} hours/week, the citizen wants at most {citizen.hours_max}.")
        else:
            text = (f"Højst {placement.hours_max} timer/uge, borgeren ønsker mindst {citizen.hours_min}." if da
                    else f"At most {placement.hours_max} hours/week, the citizen wants at least {citizen.hours_min}.")
        found.append(("hours_mismatch", text))
    elif placement.hours_min is not None and placement.hours_min > citizen.hours_max:
        found.append(("hours_by_arrangement",
                      f"{hours} timer/uge; virksomheden tilbyder nedsat eller fleksibel tid, så aftal timetallet."
                      if da else f"{hours} hours/week; the employer offers reduced or flexible hours, so agree "
                      "the hours."))
    if facts.commute_km > LONG_COMMUTE_SHARE * citizen.max_commute_km:
        found.append(("long_commute", (f"{round(facts.commute_km)} km er tæt på borgerens grænse på "
                                       f"{citizen.max_commute_km} km." if da else
                                       f"{round(facts.commute_km)} km is close to the citizen's limit of "
                                       f"{citizen.max_commute_km} km.")))
    if facts.needs_unmet:
        needs = _needs(facts.needs_unmet, lang)
        found.append(("needs_unmet", (f"Borgeren har brug for {needs}, som virksomheden ikke har oplyst at "
                                      "tilbyde." if da else
                                      f"The citizen needs {needs}, which the employer has not said it offers.")))
    if citizen.limitations and placement.physical_demands != "low":
        demands = {"medium": "middel", "high": "høje"}.get(placement.physical_demands, placement.physical_demands)
        found.append(("check_limitations", (f"Fysiske krav er {demands}; afstem skånehensyn med virksomheden." if da
                                            else f"Physical demands are {placement.physical_demands}; agree the "
                                            "citizen's limitations with the employer.")))
    load = facts.features[FEATURE_INDEX["employer_load"]]
    if load >= BUSY_LOAD:
        found.append(("employer_busy", (f"Virksomheden har allerede {placement.others_open_suggestions} åbne forslag "
                                        f"til {placement.free_slots} ledige pladser." if da else
                                        f"The employer already has {placement.others_open_suggestions} open "
                                        f"suggestions for {placement.free_slots} free slots.")))
    if placement.opening_id is None:
        label = SCHEME_LABELS_DA[facts.scheme] if da else eligibility.SCHEME_LABELS_EN[facts.scheme]
        found.append(("no_posted_opening", (f"Ingen opslået stilling: virksomheden er åben for {label} efter aftale."
                                            if da else f"No posted opening: the employer is open to {label} "
                                            "by arrangement.")))
    start = placement.start_date or placement.employer_available_from
    if start is not None and (start - today).days > LATE_START_DAYS:
        found.append(("starts_later", (f"Tidligst start {start:%d.%m.%Y}." if da
                                       else f"Starts {start.isoformat()} at the earliest.")))
    return [{"code": code, "text": text} for code, text in found]


def explain(citizen: CitizenProfile, placement: Placement, facts: PairFacts, contributions: np.ndarray,
            labels: Labels, *, today: dt.date, lang: Language) -> Explained:
    order = sorted(range(len(contributions)), key=lambda index: (-contributions[index], index))
    reasons: list[dict[str, object]] = []
    seen: set[str] = set()

    for index in order:
        contribution = float(contributions[index])
        if contribution < MIN_CONTRIBUTION or len(reasons) >= MAX_REASONS:
            break
        said = _reason_text(FEATURE_NAMES[index], citizen, placement, facts, labels, lang)
        if said is None or said[0] in seen:
            continue
        seen.add(said[0])
        reasons.append({"code": said[0], "text": said[1], "contribution": round(contribution, 4)})
    warnings = warnings_for(citizen, placement, facts, today=today, lang=lang)
    parts = [str(reason["text"]) for reason in reasons]
    if warnings:
        parts.append(("Obs: " if lang == "da" else "Note: ") + " ".join(item["text"] for item in warnings))
    if not reasons:
        parts.insert(0, "Ingen stærke grunde ud over at stedet er muligt." if lang == "da"
                     else "No strong reasons beyond the placement being possible.")
    return Explained(reasons=reasons, warnings=warnings, text=" ".join(parts))
