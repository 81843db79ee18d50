"""Hard eligibility rules: a pair that breaks one is never suggested. Each rule has a reason code the
consultant can see (`include_excluded=true`), with a Danish and an English text.
"""

import datetime as dt
from dataclasses import dataclass

from core.vocab import LIMITATION_CONFLICTS, SCHEME_LABELS_DA, SCHEMES_BY_TARGET_GROUP, Limitation, Scheme
from matching.profiles import CitizenProfile, Placement

# A gap this many hours per week between the citizen's range and the opening's is still workable
# (a warning); beyond it the pair is excluded, unless the employer offers reduced or flexible hours.
HOURS_TOLERANCE = 5

# Limitations that rule out work the employer or opening rates as physically highly demanding.
EXCLUDE_HIGH_DEMANDS: frozenset[str] = frozenset({Limitation.NO_HEAVY_LIFTING, Limitation.REDUCED_STAMINA})

SCHEME_LABELS_EN: dict[Scheme, str] = {
    Scheme.ORDINARY: "ordinary job",
    Scheme.INTERNSHIP: "company internship (virksomhedspraktik)",
    Scheme.WAGE_SUBSIDY: "wage subsidy (løntilskud)",
    Scheme.FLEXJOB: "flexjob",
}

LIMITATION_LABELS_DA: dict[str, str] = {
    "no_heavy_lifting": "ingen tunge løft", "no_night_shifts": "ingen natarbejde",
    "limited_standing": "begrænset stående arbejde", "limited_walking": "begrænset gang",
    "limited_sitting": "begrænset siddende arbejde", "no_repetitive_strain": "ingen ensidigt gentaget arbejde",
    "limited_hand_use": "begrænset brug af hænderne", "needs_quiet_environment": "behov for roligt miljø",
    "limited_customer_contact": "begrænset kundekontakt", "no_driving": "ingen kørsel",
    "reduced_stamina": "nedsat udholdenhed",
}


@dataclass(frozen=True)
class Exclusion:
    code: str
    text_da: str
    text_en: str


def shared_schemes(citizen: CitizenProfile, placement: Placement, wanted: Scheme | None) -> frozenset[Scheme]:
    """Schemes both sides allow (and the consultant asked for): the citizen's own choice within what the
    target group may use, the placement's offer."""
    allowed = citizen.schemes & SCHEMES_BY_TARGET_GROUP[citizen.target_group] & placement.schemes
    return allowed & {wanted} if wanted is not None else allowed


def hours_gap(citizen: CitizenProfile, placement: Placement) -> int:
    """Hours per week between the two ranges (0 when they overlap); reduced or flexible hours at the
    employer close a gap from above."""
    if placement.hours_min is None or placement.hours_max is None:
        return 0
    above = placement.hours_min - citizen.hours_max
    if above > 0 and placement.offers & {"reduced_hours", "flexible_hours"}:
        above = 0
    return max(0, above, citizen.hours_min - placement.hours_max)


def limitation_conflicts(citizen: CitizenProfile, placement: Placement) -> list[str]:
    """The citizen's (consented) limitations the placement's work conditions or demands clash with."""
    conflicts = [limitation for limitation in sorted(citizen.limitations)
                 if LIMITATION_CONFLICTS.get(Limitation(limitation), frozenset()) & placement.work_conditions]
    if placement.physical_demands == "high":
        conflicts += [limitation for limitation in sorted(citizen.limitations & EXCLUDE_HIGH_DEMANDS)
                      if limitation not in conflicts]
    return conflicts


def _paused(status: str, until: dt.date | None, today: dt.date) -> bool:
    return status == "paused" and (until is None or until > today)


def exclusions(citizen: CitizenProfile, placement: Placement, *, commute_km: float, max_km: float,
               wanted_scheme: Scheme | None, today: dt.date) -> list[Exclusion]:
    """Every hard rule the pair breaks (empty: eligible)."""
    found: list[Exclusion] = []
    if placement.opening_id is not None and placement.status != "open":
        label_da = {"paused": "sat på pause", "filled": "besat", "closed": "lukket"}.get(placement.status,
                                                                                         placement.status)
        found.append(Exclusion(f"opening_{placement.status}", f"Stillingen er {label_da}.",
                               f"The opening is {placement.status}."))
    if placement.expires_on is not None and placement.expires_on < today:
        found.append(Exclusion("opening_expired", f"Stillingen udløb {placement.expires_on:%d.%m.%Y}.",
                               f"The opening expired on {placement.expires_on.isoformat()}."))
    if _paused(placement.employer_status, placement.employer_paused_until, today):
        found.append(Exclusion("employer_paused", "Virksomheden har sat samarbejdet på pause.",
                               "The employer has paused taking people in."))
    if placement.free_slots <= 0:
        found.append(Exclusion("no_free_slots", "Der er ingen ledige pladser.", "There are no free slots."))
    if not shared_schemes(citizen, placement, wanted_scheme):
        offered_da = ", ".join(SCHEME_LABELS_DA[scheme] for scheme in sorted(placement.schemes)) or "ingen"
        offered_en = ", ".join(SCHEME_LABELS_EN[scheme] for scheme in sorted(placement.schemes)) or "none"
        found.append(Exclusion("scheme_not_allowed",
                               f"Ordningen passer ikke: stedet tilbyder {offered_da}, som borgeren ikke kan "
                               "eller skal bruge.",
                               f"No shared scheme: the placement offers {offered_en}, which the citizen may "
                               "not or should not use."))
    if commute_km > max_km:
        found.append(Exclusion("too_far", f"{commute_km:.0f} km fra bopæl, mere end {max_km:.0f} km.",
                               f"{commute_km:.0f} km from home, more than {max_km:.0f} km."))
    gap = hours_gap(citizen, placement)
    if gap > HOURS_TOLERANCE:
        found.append(Exclusion(
            "hours_incompatible",
            f"{placement.hours_min}–{placement.hours_max} timer/uge passer ikke med borgerens "
            f"{citizen.hours_min}–{citizen.hours_max}.",
            f"{placement.hours_min}–{placement.hours_max} hours/week does not fit the citizen's "
            f"{citizen.hours_min}–{citizen.hours_max}."))
    conflicts = limitation_conflicts(citizen, placement)
    if conflicts:
        found.append(Exclusion(
            "limitation_conflict",
            "Arbejdet strider mod borgerens skånehensyn: "
            + ", ".join(LIMITATION_LABELS_DA[item] for item in conflicts) + ".",
            "The work conflicts with the citizen's functional limitations: "
            + ", ".join(item.replace("_", " ") for item in conflicts) + "."))
    return found
