"""The capacity-aware assignment on random instances: never over capacity or over k, at least as good as
greedy, as good as the LP optimum (HiGHS), and the report's Gini."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from batch.assignment import Instance, assign, gini, greedy, metrics, objective_weights, top_k


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    citizens = draw(st.integers(1, 25))
    placements = draw(st.integers(1, 12))
    pairs = draw(st.sets(st.tuples(st.integers(0, citizens - 1), st.integers(0, placements - 1)),
                         min_size=1, max_size=citizens * placements))
    ordered = sorted(pairs)
    scores = draw(st.lists(st.floats(-0.25, 2.0, allow_nan=False, width=32), min_size=len(ordered),
                           max_size=len(ordered)))
    capacity = draw(st.lists(st.integers(0, 4), min_size=placements, max_size=placements))
    return Instance(citizen=np.array([c for c, _ in ordered]), placement=np.array([p for _, p in ordered]),
                    score=np.array(scores, dtype=np.float64), capacity=np.array(capacity), k=draw(st.integers(1, 4)))


def _total(instance: Instance, chosen: np.ndarray) -> float:
    """The assignment's objective: the total score, shifted when scores reach zero or below."""
    return float(objective_weights(instance.score)[chosen].sum())


@settings(max_examples=200, deadline=None)
@given(instances())
def test_capacity_and_k_are_never_exceeded(instance: Instance) -> None:
    chosen = assign(instance)
    assert (np.bincount(instance.placement[chosen], minlength=instance.placements) <= instance.capacity).all()
    assert (np.bincount(instance.citizen[chosen], minlength=instance.citizens) <= instance.k).all()


@settings(max_examples=200, deadline=None)
@given(instances())
def test_total_score_is_at_least_greedys(instance: Instance) -> None:
    slack = 1e-6 * len(instance.score)  # scores are compared in millionths
    assigned, greedily = assign(instance), greedy(instance)
    assert _total(instance, assigned) >= _total(instance, greedily) - slack
    if instance.score.min() > 0:  # then the objective is the plain total score
        assert instance.score[assigned].sum() >= instance.score[greedily].sum() - slack


@settings(max_examples=60, deadline=None)
@given(instances())
def test_total_score_is_the_linear_programs_optimum(instance: Instance) -> None:
    pairs = len(instance.score)
    rows = np.zeros((instance.citizens + instance.placements, pairs))
    rows[instance.citizen, np.arange(pairs)] = 1
    rows[instance.citizens + instance.placement, np.arange(pairs)] = 1
    bounds = np.concatenate([np.full(instance.citizens, instance.k), instance.capacity])
    optimum = linprog(-objective_weights(instance.score), A_ub=rows, b_ub=bounds, bounds=(0, 1), method="highs")
    assert optimum.status == 0
    assert _total(instance, assign(instance)) == pytest.approx(-optimum.fun, abs=1e-6 * pairs)


def test_capacity_moves_citizens_away_from_the_crowded_favourite() -> None:
    # Three citizens all prefer placement 0 (one slot); each has a slightly worse alternative of their own.
    instance = Instance(citizen=np.array([0, 0, 1, 1, 2, 2]), placement=np.array([0, 1, 0, 2, 0, 3]),
                        score=np.array([0.9, 0.8, 0.9, 0.7, 0.9, 0.85]), capacity=np.array([1, 1, 1, 1]), k=1)
    chosen = assign(instance)
    plain = top_k(instance)
    employers = np.arange(4)
    assigned, baseline = metrics(instance, chosen, employers), metrics(instance, plain, employers)
    assert assigned.citizens_with_suggestion == 3 and assigned.max_per_employer == 1
    assert assigned.placements_over_capacity == 0
    assert baseline.max_per_employer == 3 and baseline.placements_over_capacity == 1
    # The favourite goes to the citizen whose alternative is worst; the others take theirs.
    assert assigned.total_score == pytest.approx(0.8 + 0.9 + 0.85)
    assert chosen.tolist() == [False, True, True, False, False, True]
    assert assigned.gini_per_employer < baseline.gini_per_employer


def test_gini() -> None:
    assert gini([2, 2, 2, 2]) == 0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([]) == 0
