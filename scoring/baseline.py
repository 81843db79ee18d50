"""The transparent weighted baseline: a linear score whose weights all live in `WEIGHTS`.

Contributions are measured against a reference pair (`REFERENCE`, a typical unremarkable pair), so a
positive contribution means "better than usual on this feature" and the explanation can name it.
"""

import numpy as np

from scoring.features import FEATURE_NAMES

VERSION = "baseline-1"

# Weight per feature; features left out weigh nothing. The scale is arbitrary: only order matters.
WEIGHTS: dict[str, float] = {
    "semantic_opening": 3.0,
    "semantic_employer": 0.8,
    "occupation_match": 0.25,
    "essential_skill_share": 0.30,
    "wish_match": 0.12,
    "commute_share": -0.15,
    "hours_fit": 0.12,
    "needs_met_share": 0.12,
    "needs_unmet_share": -0.12,
    "scheme_preference": 0.06,
    "employer_track_record": 0.20,
    "employer_experience": 0.02,
    "employer_load": -0.08,
    "freshness": 0.03,
    "posted_opening": 0.03,
}

# The typical pair contributions are measured against.
REFERENCE: dict[str, float] = {
    # Typical cosines of the default encoder (multilingual-e5-small) between Danish profiles and openings.
    "semantic_opening": 0.85,
    "semantic_employer": 0.84,
    "occupation_match": 0.0,
    "essential_skill_share": 0.0,
    "wish_match": 0.0,
    "commute_share": 0.5,
    "hours_fit": 1.0,
    "needs_met_share": 0.0,
    "needs_unmet_share": 0.0,
    "scheme_preference": 0.5,
    "employer_track_record": 0.5,
    "employer_experience": 0.0,
    "employer_load": 0.0,
    "freshness": 0.5,
    "posted_opening": 1.0,
}
BASE_VALUE = 0.5


class WeightedBaseline:
    """score = BASE_VALUE + Σ weight · (feature − reference); contributions are the terms of the sum."""

    def __init__(self, weights: dict[str, float] | None = None, reference: dict[str, float] | None = None,
                 version: str = VERSION) -> None:
        self.weights = dict(WEIGHTS if weights is None else weights)
        self.reference = dict(REFERENCE if reference is None else reference)
        unknown = sorted(set(self.weights) - set(FEATURE_NAMES))
        if unknown:
            raise ValueError(f"weights for unknown features: {', '.join(unknown)}")
        self.version = version
        self.feature_names = FEATURE_NAMES
        self.base_value = BASE_VALUE
        self._weights = np.array([self.weights.get(name, 0.0) for name in FEATURE_NAMES], dtype=np.float64)
        self._reference = np.array([self.reference.get(name, 0.0) for name in FEATURE_NAMES], dtype=np.float64)

    def contributions(self, features: np.ndarray) -> np.ndarray:
        matrix = np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
        # An unknown feature (NaN: a text not encoded yet) is neutral: it contributes nothing.
        contributions: np.ndarray = np.nan_to_num((matrix - self._reference) * self._weights, nan=0.0)
        return contributions

    def score(self, features: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self.base_value + self.contributions(features).sum(axis=1)
        return scores
