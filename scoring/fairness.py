"""Fairness audit figures: who gets exposure in the top 10 and what success the model predicts for them,
by group, and whether the worst-off group falls below four fifths of the best-off one.

Groups come from attributes kept for the audit only (age band, gender: `citizen_audit_attributes.jsonl`),
from what the jobcentre records anyway (target group, kommune), and for employers from their size. None
of them is ever a model input; the audit reads them next to the scores, never before.

- citizen exposure: of a group's eligible (citizen, placement) pairs, the share that make the top 10
  candidates for that placement (what a consultant finding candidates for an opening sees);
- citizen predicted success: the mean predicted success of each citizen's own top 10 placements,
  averaged over the group;
- employer exposure: of a group's eligible pairs, the share that make the citizen's top 10 placements;
- employer predicted success: the mean predicted success of the group's eligible pairs.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

K = 10
THRESHOLD = 0.8  # the four-fifths rule
MIN_CITIZENS = 20
MIN_EMPLOYERS = 10
SMALL_EMPLOYER_PLACES = 2  # an employer offering at most this many places counts as small
RESERVED_KEYS = frozenset({"reference", "jobcentre_code"})


class AttributesFileError(ValueError):
    """The audit attributes file cannot be read; the message names the line."""


@dataclass(frozen=True)
class ScoredPairs:
    """Eligible pairs by position: citizen index, placement index, predicted success."""

    citizens: np.ndarray
    placements: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class GroupFigure:
    group: str
    members: int
    value: float | None  # None: fewer members than the audit reports on


@dataclass(frozen=True)
class Finding:
    attribute: str
    metric: str
    groups: list[GroupFigure]
    ratio: float | None  # lowest / highest over the groups with enough members
    flagged: bool


@dataclass
class AuditReport:
    version: str
    citizens: int
    placements: int
    pairs: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def flagged(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.flagged]


def top_k(keys: np.ndarray, scores: np.ndarray, k: int = K) -> np.ndarray:
    """Rows among the k highest scores of their key (ties: the earlier row first)."""
    rows = np.arange(len(keys))
    order = np.lexsort((rows, -scores, keys))
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    rank = rows - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    chosen = np.zeros(len(keys), dtype=bool)
    chosen[order] = rank < k
    return chosen


def _finding(attribute: str, metric: str, values: Mapping[str, tuple[int, float]], minimum: int) -> Finding:
    groups = [GroupFigure(group, members, value if members >= minimum else None)
              for group, (members, value) in sorted(values.items())]
    reported = [figure.value for figure in groups if figure.value is not None]
    ratio = None
    if len(reported) >= 2 and max(reported) > 0:
        ratio = min(reported) / max(reported)
    return Finding(attribute, metric, groups, ratio, ratio is not None and ratio < THRESHOLD)


def citizen_findings(pairs: ScoredPairs, attribute: str, group_of: Sequence[str | None], *, k: int = K,
                     minimum: int = MIN_CITIZENS) -> list[Finding]:
    """Exposure and predicted success by a citizen attribute (`group_of[citizen index]`, None: unknown,
    left out)."""
    in_candidates = top_k(pairs.placements, pairs.scores, k)
    in_own_top = top_k(pairs.citizens, pairs.scores, k)
    exposure: dict[str, tuple[int, float]] = {}
    success: dict[str, tuple[int, float]] = {}
    labels = np.array([group_of[index] or "" for index in pairs.citizens], dtype=object)
    for group in sorted({label for label in labels if label}):
        rows = labels == group
        members = np.unique(pairs.citizens[rows])
        exposure[group] = (len(members), float(in_candidates[rows].mean()))
        own = rows & in_own_top
        per_citizen = [float(pairs.scores[own & (pairs.citizens == citizen)].mean()) for citizen in members]
        success[group] = (len(members), float(np.mean(per_citizen)))
    return [_finding(attribute, "exposure_top10", exposure, minimum),
            _finding(attribute, "predicted_success", success, minimum)]


def employer_findings(pairs: ScoredPairs, size_of: Sequence[str], employer_of: Sequence[str], *, k: int = K,
                      minimum: int = MIN_EMPLOYERS) -> list[Finding]:
    """Exposure and predicted success for small and large employers (`size_of[placement index]`)."""
    in_citizen_top = top_k(pairs.citizens, pairs.scores, k)
    labels = np.array([size_of[index] for index in pairs.placements], dtype=object)
    employers = np.array([employer_of[index] for index in pairs.placements], dtype=object)
    exposure: dict[str, tuple[int, float]] = {}
    success: dict[str, tuple[int, float]] = {}
    for group in sorted(set(labels.tolist())):
        rows = labels == group
        members = len(set(employers[rows].tolist()))
        exposure[group] = (members, float(in_citizen_top[rows].mean()))
        success[group] = (members, float(pairs.scores[rows].mean()))
    return [_finding("employer_size", "exposure_top10", exposure, minimum),
            _finding("employer_size", "predicted_success", success, minimum)]


def employer_size(places: int) -> str:
    return "small" if places <= SMALL_EMPLOYER_PLACES else "large"


def read_attributes(path: Path) -> dict[tuple[int, str], dict[str, str]]:
    """(jobcentre code, citizen reference) → {attribute: group} from a JSONL audit attributes file such as
    the demo's `citizen_audit_attributes.jsonl`. Every key but reference and jobcentre_code is an attribute."""
    found: dict[tuple[int, str], dict[str, str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AttributesFileError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = (int(row["jobcentre_code"]), str(row["reference"]))
        except (ValueError, KeyError, TypeError) as error:
            raise AttributesFileError(f"{path} line {number}: expected a JSON object with jobcentre_code and "
                                      f"reference ({error})") from error
        found[key] = {name: str(value) for name, value in row.items()
                      if name not in RESERVED_KEYS and value is not None}
    return found


def as_rows(report: AuditReport) -> list[dict[str, object]]:
    """The findings as flat rows (attribute, metric, group, members, value, ratio, flagged)."""
    rows: list[dict[str, object]] = []
    for finding in report.findings:
        for figure in finding.groups:
            rows.append({"attribute": finding.attribute, "metric": finding.metric, "group": figure.group,
                         "members": figure.members,
                         "value": None if figure.value is None or math.isnan(figure.value) else round(figure.value, 4),
                         "ratio": None if finding.ratio is None else round(finding.ratio, 3),
                         "flagged": finding.flagged})
    return rows
