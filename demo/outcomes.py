"""The hidden process behind the demo placement history: how likely a placement is to succeed.

A placement of a citizen with an employer (through an opening or directly) succeeds with probability

    p = logistic(z),   z = INTERCEPT
                         + W_ESSENTIAL  * essential_overlap      share of the opening's essential skills the
                                                                 citizen truly has (0..1)
                         + W_EXPERIENCE * experience_match       1 same ESCO occupation as past work,
                                                                 0.5 same ISCO unit group, else 0
                         + W_WISH       * wish_match             1 the occupation or its trade was wished for
                         + W_COMMUTE    * commute_excess         km beyond 5 km, over 10 (so 25 km → 2)
                         + W_TOO_FAR    * [commute > max_commute_km]
                         + W_HOURS      * hours_misfit           0 when the opening's and the citizen's hour
                                                                 ranges overlap, else the gap in hours / 10,
                                                                 at most 1
                         + W_NEEDS_MET  * needs_met_share        of the citizen's needs the employer offers
                         + W_NEED_UNMET * needs_unmet            count of needs not met
                         + W_CONFLICT   * limitation_conflicts   count of work conditions the citizen's TRUE
                                                                 limitations rule out (also unconsented ones)
                         + host_quality                          the employer's latent "good host" quality,
                                                                 N(0, HOST_QUALITY_SD), never written to a file
                         + SCHEME_EFFECT[scheme]
                         + noise                                 N(0, NOISE_SD) per placement

"True" means the citizen's full latent profile: recorded skills are only a subset of the skills the
citizen really has, and limitations without consent are not written, but both still act on outcomes.
Nothing here reads a protected attribute (age band, gender): those are drawn afterwards from a separate
random stream and written only to `citizen_audit_attributes.jsonl`.
"""

import math
from dataclasses import dataclass

from core.vocab import Scheme

INTERCEPT = -0.4
W_ESSENTIAL = 3.0
W_EXPERIENCE = 0.8
W_WISH = 0.6
W_COMMUTE = -0.25
W_TOO_FAR = -0.6
W_HOURS = -1.2
W_NEEDS_MET = 0.5
W_NEED_UNMET = -0.5
W_CONFLICT = -1.4
HOST_QUALITY_SD = 0.8
NOISE_SD = 0.5
SCHEME_EFFECT: dict[Scheme, float] = {
    Scheme.ORDINARY: -0.3,
    Scheme.INTERNSHIP: 0.3,
    Scheme.WAGE_SUBSIDY: 0.15,
    Scheme.FLEXJOB: 0.1,
}


@dataclass(frozen=True)
class PairFacts:
    """The true facts about one citizen–employer pair that drive the outcome."""

    essential_overlap: float
    experience_match: float
    wish_match: float
    commute_km: float
    max_commute_km: int
    hours_misfit: float
    needs_total: int
    needs_met: int
    limitation_conflicts: int
    host_quality: float
    scheme: Scheme


def logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def success_logit(facts: PairFacts) -> float:
    """The noise-free part of z for a pair."""
    needs_met_share = facts.needs_met / facts.needs_total if facts.needs_total else 1.0
    return (
        INTERCEPT
        + W_ESSENTIAL * facts.essential_overlap
        + W_EXPERIENCE * facts.experience_match
        + W_WISH * facts.wish_match
        + W_COMMUTE * max(0.0, facts.commute_km - 5.0) / 10.0
        + W_TOO_FAR * (facts.commute_km > facts.max_commute_km)
        + W_HOURS * facts.hours_misfit
        + W_NEEDS_MET * needs_met_share
        + W_NEED_UNMET * (facts.needs_total - facts.needs_met)
        + W_CONFLICT * facts.limitation_conflicts
        + facts.host_quality
        + SCHEME_EFFECT[facts.scheme]
    )


def success_probability(facts: PairFacts, noise: float) -> float:
    """p = logistic(z + noise); `noise` is one N(0, NOISE_SD) draw per placement."""
    return logistic(success_logit(facts) + noise)


def hours_misfit(opening_min: int, opening_max: int, citizen_min: int, citizen_max: int) -> float:
    """0 when the hour ranges overlap; otherwise the gap between them in hours / 10, at most 1."""
    gap = max(opening_min, citizen_min) - min(opening_max, citizen_max)
    return 0.0 if gap <= 0 else min(1.0, gap / 10.0)
