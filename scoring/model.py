"""The learned ranker and its artefact: boosted trees restricted to one feature each, so the fitted model is
a generalised additive model (log-odds = intercept + one shape function per feature), with the monotonic
constraints the domain demands.

Why additive: each feature's effect is a step function a consultant can be shown, Shapley values are exact
(a feature's contribution is its shape value minus its training mean, as for a linear model), an unknown
feature (NaN) is neutral by construction (it takes its mean: contribution 0), and scoring is a table
lookup per feature, fast enough for a million pairs. `docs/ranking-model.md` has the details.

Calibration (Platt scaling, fitted by `scoring.training` on the latest slice of the training period) maps
the raw log-odds to slope · log-odds + intercept with a positive slope: monotone, so the ranking does not
change, and linear, so every feature's contribution is simply scaled by the slope and stays exact.

An artefact is one JSON document (never a pickle) holding the shape functions, the feature list, the
hyperparameters, the training summary and metrics, a format version and a sha256 checksum; loading
refuses a document whose checksum, format or feature list does not match.
"""

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted

from core.errors import BadRequest
from scoring.features import FEATURE_INDEX, FEATURE_NAMES, PROTECTED_ATTRIBUTES

FORMAT = "brobygger-ranker"
FORMAT_VERSION = 2
# Version 1 artefacts (before calibration) are read as uncalibrated: slope 1, intercept 0.
READABLE_FORMAT_VERSIONS = frozenset({1, 2})
UNCALIBRATED: dict[str, Any] = {"method": "none", "slope": 1.0, "intercept": 0.0}

# +1: more never lowers the score; -1: more never raises it. Everything else may go either way. (A closer
# text match never lowers the score either: without the constraint the text similarities' shapes wiggle
# with noise and rank worse on held-out history.)
MONOTONIC: dict[str, int] = {
    "essential_skill_share": 1, "occupation_match": 1, "wish_match": 1, "hours_fit": 1, "needs_met_share": 1,
    "employer_track_record": 1, "semantic_opening": 1, "semantic_employer": 1,
    "commute_share": -1, "commute_km": -1, "needs_unmet_share": -1, "employer_load": -1,
}


class ArtefactError(BadRequest):
    """A model file that is not a valid ranker artefact of this version: corrupt, foreign or for other features."""

    code = "invalid_model_artefact"


def _sigmoid(values: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-values))
    return result


@dataclass(frozen=True)
class Shape:
    """One feature's effect in log-odds: `values[i]` applies when thresholds[i-1] < x <= thresholds[i]
    (the first below the first threshold, the last above the last); `mean` is its training mean, what an
    unknown value (NaN) gets."""

    thresholds: np.ndarray
    values: np.ndarray
    mean: float

    def evaluate(self, column: np.ndarray) -> np.ndarray:
        """Centred effect (value − mean) per row; 0 for NaN."""
        if len(self.thresholds) == 0:
            return np.zeros(len(column))
        bins = np.searchsorted(self.thresholds, column, side="left")  # NaN sorts last: fixed below
        effect: np.ndarray = self.centred[bins]
        missing = np.isnan(column)
        if missing.any():
            effect[missing] = 0.0
        return effect

    @property
    def centred(self) -> np.ndarray:
        centred: np.ndarray = self.values - self.mean
        return centred


def _walk(nodes: np.ndarray, value: float) -> float:
    """A fitted HistGradientBoosting tree (its predictor's node records) at one feature value."""
    node = nodes[0]
    while not node["is_leaf"]:
        left = bool(node["missing_go_to_left"]) if math.isnan(value) else value <= node["num_threshold"]
        node = nodes[node["left"] if left else node["right"]]
    return float(node["value"])


class AdditiveRanker(ClassifierMixin, BaseEstimator):
    """Binary classifier (1 = the placement succeeds) over the FEATURE_NAMES columns, following the
    scikit-learn estimator contract: hyperparameters in `__init__`, fitted attributes end in `_`.

    Fitting runs scikit-learn's HistGradientBoostingClassifier with `interaction_cst="no_interactions"`
    and the `MONOTONIC` constraints, then reads each tree (each splits on one feature) into per-feature
    step functions. NaN (an unknown feature) is allowed in training and neutral in prediction. Rows of
    weight 0 are left out of the fit (they would still count towards `min_samples_leaf` and the bins).

    `calibrate` sets a Platt scaling of the log-odds afterwards (`calibration_`); `raw_decision_function`
    gives the log-odds before it.
    """

    def __init__(self, *, learning_rate: float = 0.2, max_iter: int = 300, max_leaf_nodes: int = 8,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0, max_bins: int = 64,
                 monotonic: bool = True, random_state: int = 0) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.monotonic = monotonic
        self.random_state = random_state

    def _check_features(self, features: np.ndarray) -> np.ndarray:
        matrix = np.asarray(features, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected a matrix with {len(FEATURE_NAMES)} feature columns, got shape {matrix.shape}")
        return matrix

    def fit(self, features: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray | None = None) -> Self:
        matrix = self._check_features(features)
        targets = np.asarray(labels).astype(int)
        if sample_weight is not None:
            weighted = np.asarray(sample_weight, dtype=np.float64) > 0
            matrix, targets, sample_weight = matrix[weighted], targets[weighted], np.asarray(sample_weight)[weighted]
        if set(np.unique(targets)) != {0, 1}:
            raise ValueError("training needs both successes (1) and failures (0)")
        booster = HistGradientBoostingClassifier(
            loss="log_loss", learning_rate=self.learning_rate, max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, max_bins=self.max_bins,
            monotonic_cst=[MONOTONIC.get(name, 0) if self.monotonic else 0 for name in FEATURE_NAMES],
            interaction_cst="no_interactions", early_stopping=False, random_state=self.random_state)
        # A column that is unknown everywhere (no text vectors at all) carries nothing to learn; scikit-learn
        # cannot bin it, so it is fitted as a constant (no tree splits on it).
        fitted_matrix = np.where(np.isnan(matrix).all(axis=0), 0.0, matrix)
        booster.fit(fitted_matrix, targets, sample_weight=sample_weight)
        weights = np.ones(len(targets)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        # The fitted trees, read once: HistGradientBoosting keeps them as predictor node records.
        trees = [predictor.nodes for iteration in booster._predictors for predictor in iteration]
        intercept = float(np.ravel(booster._baseline_prediction)[0])
        by_feature: dict[int, list[np.ndarray]] = {}
        for nodes in trees:
            split_features = set(nodes["feature_idx"][nodes["is_leaf"] == 0].tolist())
            if not split_features:  # a tree without a split is a constant
                intercept += float(nodes["value"][0])
                continue
            if len(split_features) != 1:
                raise RuntimeError("a tree split on several features despite the interaction constraint")
            by_feature.setdefault(split_features.pop(), []).append(nodes)
        thresholds, values, means = [], [], []
        for index in range(len(FEATURE_NAMES)):
            feature_trees = by_feature.get(index, [])
            cuts = np.unique(np.concatenate([nodes["num_threshold"][nodes["is_leaf"] == 0]
                                             for nodes in feature_trees])) if feature_trees else np.zeros(0)
            # One representative per bin: each threshold itself (x <= t goes left), then above the last.
            representatives = [*cuts.tolist(), math.inf] if feature_trees else []
            table = np.array([sum(_walk(nodes, point) for nodes in feature_trees) for point in representatives])
            column = matrix[:, index]
            missing = np.isnan(column)
            per_row = np.zeros(len(column))
            if feature_trees:
                per_row[~missing] = table[np.searchsorted(cuts, column[~missing], side="left")]
                per_row[missing] = sum(_walk(nodes, math.nan) for nodes in feature_trees)
            thresholds.append(cuts.astype(np.float64))
            values.append(table.astype(np.float64))
            means.append(float(np.average(per_row, weights=weights)) if feature_trees else 0.0)
        self._set_fitted(intercept, thresholds, values, means, n_iter=int(booster.n_iter_), calibration=UNCALIBRATED)
        return self

    def _set_fitted(self, intercept: float, thresholds: list[np.ndarray], values: list[np.ndarray],
                    means: list[float], *, n_iter: int, calibration: Mapping[str, Any]) -> None:
        self.intercept_ = intercept
        self.shapes_ = tuple(Shape(np.asarray(cut, dtype=np.float64), np.asarray(value, dtype=np.float64), mean)
                             for cut, value, mean in zip(thresholds, values, means, strict=True))
        self.raw_expected_logit_ = intercept + float(sum(means))
        self.n_iter_ = n_iter
        self._set_calibration(calibration)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(FEATURE_NAMES)
        self.feature_names_in_ = np.array(FEATURE_NAMES, dtype=object)

    def _set_calibration(self, calibration: Mapping[str, Any]) -> None:
        slope, intercept = float(calibration["slope"]), float(calibration["intercept"])
        if not (math.isfinite(slope) and slope > 0 and math.isfinite(intercept)):
            raise ValueError(f"a calibration needs a finite positive slope and a finite intercept, got {slope!r} "
                             f"and {intercept!r}")
        self.calibration_ = dict(calibration)
        self.expected_logit_ = slope * self.raw_expected_logit_ + intercept

    def calibrate(self, calibration: Mapping[str, Any]) -> Self:
        """Apply a Platt scaling (`slope`, `intercept` and a description) to the fitted log-odds."""
        check_is_fitted(self, "shapes_")
        self._set_calibration(calibration)
        return self

    @property
    def slope_(self) -> float:
        return float(self.calibration_["slope"])

    def _raw_effects(self, matrix: np.ndarray) -> np.ndarray:
        result = np.zeros(matrix.shape)
        for index, shape in enumerate(self.shapes_):
            if len(shape.thresholds):
                result[:, index] = shape.evaluate(matrix[:, index])
        return result

    def logit_contributions(self, features: np.ndarray) -> np.ndarray:
        """Exact Shapley values in (calibrated) log-odds: shape value minus training mean per feature, times
        the calibration slope (0 for NaN)."""
        check_is_fitted(self, "shapes_")
        scaled: np.ndarray = self._raw_effects(self._check_features(features)) * self.slope_
        return scaled

    def raw_decision_function(self, features: np.ndarray) -> np.ndarray:
        """Log-odds before calibration: the expected log-odds plus every feature's centred effect."""
        check_is_fitted(self, "shapes_")
        matrix = self._check_features(features)
        scores = np.full(len(matrix), self.raw_expected_logit_)
        for index, shape in enumerate(self.shapes_):
            if len(shape.thresholds):
                scores += shape.evaluate(matrix[:, index])
        return scores

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """Calibrated log-odds of success: slope · raw log-odds + intercept (the same order as the raw ones)."""
        calibrated: np.ndarray = self.slope_ * self.raw_decision_function(features) \
            + float(self.calibration_["intercept"])
        return calibrated

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        success = _sigmoid(self.decision_function(features))
        return np.column_stack([1.0 - success, success])

    def predict(self, features: np.ndarray) -> np.ndarray:
        labels: np.ndarray = (self.decision_function(features) > 0).astype(int)
        return labels

    def shape_table(self, name: str) -> list[tuple[float, float]]:
        """(upper bound, centred log-odds effect) steps of one feature, for documentation and audits."""
        shape = self.shapes_[FEATURE_INDEX[name]]
        if not len(shape.thresholds):
            return []
        bounds = [*shape.thresholds.tolist(), math.inf]
        return [(bound, float(value - shape.mean)) for bound, value in zip(bounds, shape.values, strict=True)]

    # -- serialisation of the fitted state (plain JSON types) --

    def fitted_state(self) -> dict[str, Any]:
        check_is_fitted(self, "shapes_")
        return {
            "intercept": self.intercept_, "n_iter": self.n_iter_, "calibration": self.calibration_,
            "shapes": {name: {"thresholds": [_number(value) for value in shape.thresholds.tolist()],
                              "values": shape.values.tolist(), "mean": shape.mean}
                       for name, shape in zip(FEATURE_NAMES, self.shapes_, strict=True)},
        }

    @classmethod
    def from_state(cls, params: Mapping[str, Any], state: Mapping[str, Any]) -> "AdditiveRanker":
        ranker = cls(**params)
        shapes = state["shapes"]
        ranker._set_fitted(
            float(state["intercept"]),
            [np.array([_from_number(value) for value in shapes[name]["thresholds"]], dtype=np.float64)
             for name in FEATURE_NAMES],
            [np.array(shapes[name]["values"], dtype=np.float64) for name in FEATURE_NAMES],
            [float(shapes[name]["mean"]) for name in FEATURE_NAMES], n_iter=int(state["n_iter"]),
            calibration=state.get("calibration", UNCALIBRATED))
        for name, shape in zip(FEATURE_NAMES, ranker.shapes_, strict=True):
            if len(shape.values) != (len(shape.thresholds) + 1 if len(shape.thresholds) else 0) \
                    or np.any(np.diff(shape.thresholds) <= 0):
                raise ValueError(f"the shape of '{name}' is malformed")
        return ranker


def _number(value: float) -> float | str:
    """JSON has no infinity: a threshold of ±inf is written as a string."""
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def _from_number(value: float | str) -> float:
    return float(value)


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def checksum_of(document: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of everything but the checksum itself."""
    return hashlib.sha256(_canonical({key: value for key, value in document.items() if key != "checksum"})).hexdigest()


@dataclass
class RankingModel:
    """A fitted ranker with its version, training summary and metrics: a Scorer for the matching engine.

    `score` is the predicted probability of a successful placement; `contributions` are the exact
    log-odds Shapley values scaled by (score − base_value) / (log-odds − expected log-odds), so they keep
    their signs and proportions and sum to score − base_value.
    """

    version: str
    ranker: AdditiveRanker
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    feature_names: tuple[str, ...] = FEATURE_NAMES
    base_value: float = field(init=False)

    def __post_init__(self) -> None:
        self.base_value = float(_sigmoid(np.array([self.ranker.expected_logit_]))[0])

    def score(self, features: np.ndarray) -> np.ndarray:
        matrix = np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
        return _sigmoid(self.ranker.decision_function(matrix))

    def uncalibrated_score(self, features: np.ndarray) -> np.ndarray:
        """The predicted probability before the calibration step (for reporting what calibration changed)."""
        matrix = np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
        return _sigmoid(self.ranker.raw_decision_function(matrix))

    @property
    def calibrated(self) -> bool:
        return self.ranker.calibration_.get("method", "none") != "none"

    def contributions(self, features: np.ndarray) -> np.ndarray:
        matrix = np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
        logits = self.ranker.logit_contributions(matrix)
        delta_logit = logits.sum(axis=1)
        base = self.ranker.expected_logit_
        probability = _sigmoid(base + delta_logit)
        base_probability = self.base_value
        slope = base_probability * (1.0 - base_probability)  # the limit where the log-odds barely move
        small = np.abs(delta_logit) < 1e-12
        scale = np.where(small, slope, (probability - base_probability) / np.where(small, 1.0, delta_logit))
        scaled: np.ndarray = logits * scale[:, None]
        return scaled

    # -- the artefact --

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "version": self.version,
            "created_at": self.created_at, "feature_names": list(self.feature_names),
            "monotonic": {name: MONOTONIC[name] for name in FEATURE_NAMES if name in MONOTONIC},
            "estimator": {"class": "AdditiveRanker", "params": self.ranker.get_params()},
            "model": self.ranker.fitted_state(), "training": self.training, "metrics": self.metrics,
        }
        document["checksum"] = checksum_of(document)
        return document

    def to_json(self) -> str:
        return json.dumps(self.document(), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    @property
    def checksum(self) -> str:
        return str(self.document()["checksum"])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(self.to_json(), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def from_json(cls, text: str | bytes, *, expected_checksum: str | None = None) -> "RankingModel":
        """Parse and verify an artefact; raises ArtefactError naming what is wrong."""
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise ArtefactError(f"not a model artefact: the file is not valid JSON ({error})") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ArtefactError(f"not a model artefact: the format is not '{FORMAT}'")
        if document.get("format_version") not in READABLE_FORMAT_VERSIONS:
            raise ArtefactError(f"model artefact format version {document.get('format_version')!r} is not supported "
                                f"(this version reads {FORMAT_VERSION}); retrain with `brobygger model train`")
        stated = document.get("checksum")
        actual = checksum_of(document)
        if stated != actual:
            raise ArtefactError(f"model artefact checksum mismatch: the file says {stated!r} but its content hashes "
                                f"to {actual!r}; the file is corrupt or was edited")
        if expected_checksum is not None and expected_checksum != actual:
            raise ArtefactError(f"model artefact checksum {actual!r} is not the registered {expected_checksum!r}")
        names = document.get("feature_names")
        if names != list(FEATURE_NAMES):
            raise ArtefactError("model artefact was trained on other features than this version computes; "
                                "retrain with `brobygger model train`")
        if any(part in PROTECTED_ATTRIBUTES for name in names for part in name.split("_")):
            raise ArtefactError("model artefact uses a protected attribute as a feature")
        estimator = document.get("estimator", {})
        if estimator.get("class") != "AdditiveRanker":
            raise ArtefactError(f"unknown estimator class {estimator.get('class')!r} in the model artefact")
        try:
            ranker = AdditiveRanker.from_state(estimator.get("params", {}), document["model"])
        except (KeyError, TypeError, ValueError) as error:
            raise ArtefactError(f"model artefact is malformed: {error}") from error
        return cls(version=str(document["version"]), ranker=ranker, created_at=str(document["created_at"]),
                   training=dict(document.get("training") or {}), metrics=dict(document.get("metrics") or {}))

    @classmethod
    def load(cls, path: Path) -> "RankingModel":
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ArtefactError(f"cannot read the model artefact {path}: {error.strerror}") from error
        return cls.from_json(raw)
