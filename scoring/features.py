"""The pair features: the contract between the matching engine (which computes them) and the scorers.

Every feature is a number about one (citizen, placement) pair, oriented so that its meaning is plain;
`docs/features.md` describes each. No protected attribute (age, gender, ethnicity, diagnosis) is, or
may become, a feature: `tests/matching/test_no_protected_attributes.py` checks these names and what they are built from.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    low: float
    high: float


FEATURES: tuple[Feature, ...] = (
    Feature("semantic_opening", "cosine similarity of the citizen's profile text to the placement's text (the "
            "opening's, or the employer profile without one); NaN while a text is not encoded", -1, 1),
    Feature("semantic_employer", "cosine similarity of the citizen's profile text to the employer's profile; "
            "NaN while a text is not encoded", -1, 1),
    Feature("occupation_match", "1 same ESCO occupation, 0.75/0.5/0.25 same ISCO-08 4/3/2-digit group, else 0",
            0, 1),
    Feature("essential_skill_share", "share of the opening's essential skills the citizen has", 0, 1),
    Feature("wish_match", "1 a wished occupation, 0.5 same ISCO group as a wish or a wished industry", 0, 1),
    Feature("commute_km", "great-circle km between the postcodes' centres", 0, 300),
    Feature("commute_share", "commute km as a share of the citizen's maximum commute", 0, 3),
    Feature("hours_fit", "1 when the opening's weekly hours fit the citizen's range, falling 0.1 per hour apart",
            0, 1),
    Feature("needs_met_share", "share of the citizen's support needs the employer offers (0 without needs)", 0, 1),
    Feature("needs_unmet_share", "share of the citizen's support needs the employer does not offer", 0, 1),
    Feature("scheme_preference", "how well the scheme suits the citizen's target group (0 to 1)", 0, 1),
    Feature("employer_track_record", "the employer's smoothed share of successful past placements", 0, 1),
    Feature("employer_experience", "past placements at the employer, log-scaled (1 = 50 or more)", 0, 1),
    Feature("employer_load", "other citizens' open suggestions per free slot, capped at 5 and divided by 5", 0, 1),
    Feature("freshness", "exp(-days since the opening or employer profile was last changed / 60)", 0, 1),
    Feature("posted_opening", "1 for a posted opening, 0 for an employer open to a scheme without one", 0, 1),
)

# Features that are NaN when unknown; scorers must treat NaN as neutral (no contribution).
MAY_BE_MISSING: frozenset[str] = frozenset({"semantic_opening", "semantic_employer"})

FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
FEATURE_INDEX: dict[str, int] = {name: index for index, name in enumerate(FEATURE_NAMES)}

# Attributes that must never reach a scorer, by name or as part of a feature's name.
PROTECTED_ATTRIBUTES: frozenset[str] = frozenset({
    "age", "age_band", "birth", "gender", "sex", "ethnicity", "nationality", "origin", "diagnosis",
    "religion", "cpr",
})
