"""What every scorer offers the matching engine: scores and per-feature contributions for pairs."""

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Scorer(Protocol):
    """Scores feature rows (columns in `feature_names` order); higher is a better match.

    `contributions(x)` has one column per feature and `base_value + contributions(x).sum(axis=1)` equals
    `score(x)` (approximately, for models that explain themselves approximately).
    """

    version: str
    feature_names: tuple[str, ...]
    base_value: float

    def score(self, features: np.ndarray) -> np.ndarray: ...

    def contributions(self, features: np.ndarray) -> np.ndarray: ...
