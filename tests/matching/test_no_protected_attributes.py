"""No protected attribute (age, gender, ethnicity, diagnosis …) can reach a scorer."""

import dataclasses

from matching.profiles import CitizenProfile, Placement
from scoring.features import FEATURE_NAMES, FEATURES, PROTECTED_ATTRIBUTES


def _mentions_protected(name: str) -> bool:
    return any(part in PROTECTED_ATTRIBUTES for part in name.lower().split("_"))


def test_no_feature_is_or_mentions_a_protected_attribute() -> None:
    assert not [name for name in FEATURE_NAMES if _mentions_protected(name)]
    assert not [feature.name for feature in FEATURES
                if any(word in feature.description.lower().split() for word in ("age", "gender", "diagnosis"))]


def test_the_profiles_features_are_built_from_hold_no_protected_attribute() -> None:
    fields = [field.name for profile in (CitizenProfile, Placement) for field in dataclasses.fields(profile)]
    assert not [name for name in fields if _mentions_protected(name)]
