"""Offline evaluation on the held-out period: ranking quality per citizen, discrimination and calibration,
for the candidate model and, in the same run and on the same rows, the baselines.

A query is one citizen in the held-out period: the pairs decided for them then (placements with an outcome,
declined suggestions), and, for the `pool_` figures, also sampled candidates nobody chose (see
scoring.training). Relevance is 1 for a placement that succeeded.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from scoring.base import Scorer
from scoring.baseline import WeightedBaseline
from scoring.features import FEATURE_INDEX
from scoring.model import RankingModel
from scoring.training import Dataset

K = 10
RELIABILITY_BINS = 10
TIE_SEED = 7

ScoreFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    """Something to evaluate: how it scores a feature matrix, whether the score is a probability, and for a
    calibrated model its probability before calibration (to report what calibration changed)."""

    name: str
    score: ScoreFunction
    probabilistic: bool
    uncalibrated: ScoreFunction | None = None


def semantic_similarity(features: np.ndarray) -> np.ndarray:
    """The text-similarity baseline: cosine of the citizen's profile to the placement's text; pairs
    without vectors rank last."""
    values = features[:, FEATURE_INDEX["semantic_opening"]]
    ranked: np.ndarray = np.where(np.isnan(values), -np.inf, values)
    return ranked


def baseline_candidates() -> list[Candidate]:
    weighted = WeightedBaseline()
    return [Candidate("semantic_similarity", semantic_similarity, probabilistic=False),
            Candidate(f"weighted_baseline ({weighted.version})", weighted.score, probabilistic=False)]


def scorer_candidate(name: str, scorer: Scorer) -> Candidate:
    calibrated = isinstance(scorer, RankingModel) and scorer.calibrated
    return Candidate(name, scorer.score, probabilistic=not isinstance(scorer, WeightedBaseline),
                     uncalibrated=scorer.uncalibrated_score if isinstance(scorer, RankingModel) and calibrated
                     else None)


def _order(scores: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """Indices by score, highest first; equal scores in a fixed random order (the same for every scorer)."""
    return np.lexsort((ties, -scores))


def per_query(labels: np.ndarray, scores: np.ndarray, queries: np.ndarray, *, k: int = K,
              seed: int = TIE_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query ids, nDCG@k, recall@k) for every query with at least one relevant row (binary relevance)."""
    ties = np.random.default_rng(seed).permutation(len(labels))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ids, ndcgs, recalls = [], [], []
    for query in np.unique(queries):
        rows = np.flatnonzero(queries == query)
        relevant = int(labels[rows].sum())
        if relevant == 0:
            continue
        ranked = labels[rows][_order(scores[rows], ties[rows])][:k]
        ideal = discounts[:min(relevant, k)].sum()
        ids.append(query)
        ndcgs.append(float((ranked * discounts[:len(ranked)]).sum() / ideal))
        recalls.append(float(ranked.sum() / relevant))
    return np.array(ids), np.array(ndcgs), np.array(recalls)


def ranking_metrics(labels: np.ndarray, scores: np.ndarray, queries: np.ndarray, *, k: int = K,
                    seed: int = TIE_SEED) -> dict[str, float | int]:
    """Mean nDCG@k and recall@k over queries with at least one relevant row."""
    ids, ndcgs, recalls = per_query(labels, scores, queries, k=k, seed=seed)
    return {f"ndcg_at_{k}": float(ndcgs.mean()) if len(ids) else 0.0,
            f"recall_at_{k}": float(recalls.mean()) if len(ids) else 0.0, "queries": len(ids)}


def paired_lift(labels: np.ndarray, queries: np.ndarray, candidate: np.ndarray, reference: np.ndarray, *,
                resamples: int = 2000, seed: int = 11) -> dict[str, float]:
    """nDCG@10 lift of `candidate` over `reference` scores (relative), with a 95% bootstrap interval over
    queries (both scored on the same queries, resampled together)."""
    _, mine, _ = per_query(labels, candidate, queries)
    _, theirs, _ = per_query(labels, reference, queries)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(mine), (resamples, len(mine)))
    lifts = mine[draws].mean(axis=1) / theirs[draws].mean(axis=1) - 1
    low, high = np.quantile(lifts, [0.025, 0.975])
    return {"lift": float(mine.mean() / theirs.mean() - 1), "low": float(low), "high": float(high)}


def calibration(labels: np.ndarray, probabilities: np.ndarray, bins: int = RELIABILITY_BINS) -> dict[str, Any]:
    """Brier score and a reliability table (equal-width bins of predicted probability)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    table = []
    for index in range(bins):
        members = which == index
        if members.any():
            table.append({"from": round(float(edges[index]), 2), "to": round(float(edges[index + 1]), 2),
                          "rows": int(members.sum()), "predicted": round(float(probabilities[members].mean()), 4),
                          "observed": round(float(labels[members].mean()), 4)})
    expected_error = sum(row["rows"] * abs(row["predicted"] - row["observed"]) for row in table) / max(len(labels), 1)
    return {"brier": float(np.mean((probabilities - labels) ** 2)), "expected_calibration_error": expected_error,
            "reliability": table}


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if len(set(labels.tolist())) < 2:
        return None
    finite = np.where(np.isfinite(scores), scores, np.nanmin(np.where(np.isfinite(scores), scores, np.nan)) - 1
                      if np.isfinite(scores).any() else 0.0)
    return float(roc_auc_score(labels, finite))


def evaluate_scores(dataset: Dataset, scores: np.ndarray, *, probabilistic: bool,
                    uncalibrated: np.ndarray | None = None) -> dict[str, Any]:
    """Metrics of one scorer. The headline figures are over the decided pairs (placements with an outcome
    and declined suggestions): every one has a real label. The `pool_` figures rank them among the sampled
    candidates nobody chose, labelled 0 although some would have worked out: they reward imitating which
    pairs consultants pick as much as predicting success, so they are reported, not decided on.
    `calibration_uncalibrated` is the same table for a calibrated model's probabilities before calibration."""
    labels = dataset.labels
    decided = dataset.kinds != "sampled"
    placed = np.isin(dataset.kinds, ["success", "failure"])
    pool = ranking_metrics(labels, scores, dataset.queries)
    metrics: dict[str, Any] = {
        **ranking_metrics(labels[decided], scores[decided], dataset.queries[decided]),
        "auc": _auc(labels[decided], scores[decided]),
        "placement_auc": _auc(labels[placed], scores[placed]),
        "pool_ndcg_at_10": pool["ndcg_at_10"], "pool_recall_at_10": pool["recall_at_10"],
        "pool_auc": _auc(labels, scores),
        "rows": int(decided.sum()), "pool_rows": len(labels),
    }
    if probabilistic:
        metrics["calibration"] = calibration(labels[decided].astype(np.float64), scores[decided])
        if uncalibrated is not None:
            metrics["calibration_uncalibrated"] = calibration(labels[decided].astype(np.float64),
                                                              uncalibrated[decided])
    return metrics


def evaluate(dataset: Dataset, candidates: list[Candidate]) -> dict[str, dict[str, Any]]:
    """Metrics per candidate, every one on the same rows and queries."""
    return {candidate.name: evaluate_scores(
        dataset, np.asarray(candidate.score(dataset.features), dtype=np.float64),
        probabilistic=candidate.probabilistic,
        uncalibrated=None if candidate.uncalibrated is None
        else np.asarray(candidate.uncalibrated(dataset.features), dtype=np.float64))
        for candidate in candidates}


def headline(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """The figures a table shows (no reliability bins)."""
    calibrated = metrics.get("calibration") or {}
    before = metrics.get("calibration_uncalibrated") or {}
    return {"ndcg_at_10": metrics.get("ndcg_at_10"), "recall_at_10": metrics.get("recall_at_10"),
            "auc": metrics.get("auc"), "placement_auc": metrics.get("placement_auc"),
            "brier": calibrated.get("brier"), "ece": calibrated.get("expected_calibration_error"),
            "brier_uncalibrated": before.get("brier"), "ece_uncalibrated": before.get("expected_calibration_error"),
            "pool_ndcg_at_10": metrics.get("pool_ndcg_at_10")}
