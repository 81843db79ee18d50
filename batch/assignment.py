"""Capacity-aware choice of suggestions: a maximum-weight b-matching solved as a min-cost flow (OR-Tools),
plus the two policies it is compared with (capacity-aware greedy, plain per-citizen top-k) and the
report metrics. Pure functions of arrays: no database, so they can be property-tested.

The flow network: source → citizen (capacity k) → placement (capacity 1 per candidate pair, cost
−score) → sink (capacity = what the placement may still take), plus a free source → sink arc so that
a citizen may get fewer than k. The minimum-cost flow maximises the total score of the chosen pairs;
the constraint matrix of a bipartite b-matching is totally unimodular, so the flow is integral and
optimal for the integer problem too.

Every candidate passed the hard rules, so every one is worth suggesting: when a scorer's scale reaches
zero or below (the weighted baseline's is arbitrary: only the order of scores matters), all scores are
shifted up by the same amount until the lowest is MIN_WEIGHT. With positive scores the objective is the
total score itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

# Scores become integer costs in millionths: ties below that resolution are broken by the solver.
COST_SCALE = 1_000_000
SOLVER_NAME = "OR-Tools SimpleMinCostFlow (max-weight b-matching)"
MIN_WEIGHT = 1e-3


class SolverError(RuntimeError):
    """The solver did not reach an optimum (it always should on a feasible network)."""


@dataclass(frozen=True)
class Instance:
    """Candidate pairs as parallel arrays: pair i joins citizen `citizen[i]` to placement `placement[i]`
    with `score[i]`; `capacity[p]` is how many suggestions placement p may still get; at most `k` per
    citizen. Citizens and placements are numbered from 0."""

    citizen: np.ndarray
    placement: np.ndarray
    score: np.ndarray
    capacity: np.ndarray
    k: int

    @property
    def citizens(self) -> int:
        return int(self.citizen.max()) + 1 if len(self.citizen) else 0

    @property
    def placements(self) -> int:
        return len(self.capacity)


def objective_weights(scores: np.ndarray) -> np.ndarray:
    """The scores, shifted up (all by the same amount) when the lowest is below MIN_WEIGHT."""
    values = np.asarray(scores, dtype=np.float64)
    if len(values) == 0:
        return values
    shifted: np.ndarray = values + max(0.0, MIN_WEIGHT - float(values.min()))
    return shifted


def assign(instance: Instance) -> np.ndarray:
    """A boolean mask of the chosen pairs: at most k per citizen, at most capacity per placement, with
    the largest total of objective_weights (the total score when scores are positive)."""
    chosen = np.zeros(len(instance.score), dtype=bool)
    weights = np.rint(objective_weights(instance.score) * COST_SCALE).astype(np.int64)
    usable = np.flatnonzero((weights > 0) & (instance.capacity[instance.placement] > 0))
    if len(usable) == 0 or instance.k <= 0:
        return chosen
    citizens, placements = instance.citizens, instance.placements
    source, sink = citizens + placements, citizens + placements + 1
    supply = citizens * instance.k
    capacity = np.minimum(instance.capacity, supply).astype(np.int64)
    starts = np.concatenate([
        instance.citizen[usable].astype(np.int32),
        np.full(citizens, source, dtype=np.int32),
        citizens + np.arange(placements, dtype=np.int32),
        np.array([source], dtype=np.int32),
    ])
    ends = np.concatenate([
        citizens + instance.placement[usable].astype(np.int32),
        np.arange(citizens, dtype=np.int32),
        np.full(placements, sink, dtype=np.int32),
        np.array([sink], dtype=np.int32),
    ])
    capacities = np.concatenate([
        np.ones(len(usable), dtype=np.int64), np.full(citizens, instance.k, dtype=np.int64), capacity,
        np.array([supply], dtype=np.int64),
    ])
    costs = np.concatenate([-weights[usable], np.zeros(citizens + placements + 1, dtype=np.int64)])
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(starts, ends, capacities, costs)
    supplies = np.zeros(citizens + placements + 2, dtype=np.int64)
    supplies[source], supplies[sink] = supply, -supply
    solver.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status}")
    flows = solver.flows(arcs[: len(usable)])
    chosen[usable[flows > 0]] = True
    return chosen


def greedy(instance: Instance) -> np.ndarray:
    """Capacity-aware greedy: pairs in descending score, taken while the citizen and placement have room."""
    chosen = np.zeros(len(instance.score), dtype=bool)
    per_citizen = np.zeros(instance.citizens, dtype=np.int64)
    remaining = np.asarray(instance.capacity, dtype=np.int64).copy()
    for index in np.argsort(-np.asarray(instance.score), kind="stable"):
        citizen, placement = instance.citizen[index], instance.placement[index]
        if per_citizen[citizen] < instance.k and remaining[placement] > 0:
            chosen[index] = True
            per_citizen[citizen] += 1
            remaining[placement] -= 1
    return chosen


def top_k(instance: Instance) -> np.ndarray:
    """Plain per-citizen top-k by score, blind to capacity: what each citizen would see on their own."""
    chosen = np.zeros(len(instance.score), dtype=bool)
    order = np.lexsort((-np.asarray(instance.score), instance.citizen))
    taken = np.zeros(instance.citizens, dtype=np.int64)
    for index in order:
        citizen = instance.citizen[index]
        if taken[citizen] < instance.k:
            chosen[index] = True
            taken[citizen] += 1
    return chosen


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one has all."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    total = ordered.sum()
    if len(ordered) == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, len(ordered) + 1)
    return float((2 * (ranks * ordered).sum()) / (len(ordered) * total) - (len(ordered) + 1) / len(ordered))


@dataclass(frozen=True)
class PolicyMetrics:
    total_score: float
    suggestions: int
    citizens_with_suggestion: int
    max_per_employer: int
    gini_per_employer: float
    placements_over_capacity: int


def metrics(instance: Instance, chosen: np.ndarray, employer_of_placement: np.ndarray) -> PolicyMetrics:
    """How a choice of pairs spreads: total score, citizens covered, load per employer (over every
    employer among the candidates, including those given none) and placements over capacity."""
    per_placement = np.bincount(instance.placement[chosen], minlength=instance.placements)
    employers = int(employer_of_placement.max()) + 1 if len(employer_of_placement) else 0
    per_employer = np.bincount(employer_of_placement[instance.placement[chosen]], minlength=employers)
    return PolicyMetrics(
        total_score=round(float(np.asarray(instance.score)[chosen].sum()), 6),
        suggestions=int(chosen.sum()),
        citizens_with_suggestion=len(np.unique(instance.citizen[chosen])),
        max_per_employer=int(per_employer.max()) if len(per_employer) else 0,
        gini_per_employer=round(gini(per_employer), 4),
        placements_over_capacity=int((per_placement > instance.capacity).sum()),
    )
