"""No protected attribute reaches a model: not among the features, not read by the training code, not in
the packaged default model. The audit attributes are read by the fairness audit alone."""

import ast
import inspect
from types import ModuleType

import numpy as np

from matching import vectorised
from scoring import defaults, evaluation, fairness, model, repository, service, training
from scoring.features import FEATURE_NAMES, PROTECTED_ATTRIBUTES
from scoring.model import RankingModel

AUDIT_ONLY = ("age_band", "gender", "audit_attributes", "citizen_audit", "fairness")
TRAINING_CODE = (training, model, evaluation, vectorised, defaults)


def _mentions_protected(name: str) -> bool:
    return any(part in PROTECTED_ATTRIBUTES for part in name.lower().split("_"))


def test_no_feature_is_a_protected_attribute() -> None:
    assert not [name for name in FEATURE_NAMES if _mentions_protected(name)]


def _imports(module: ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _code(module: ModuleType) -> str:
    """The module's code without docstrings and comments (which may well name what the code must not read)."""
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.unparse(tree).lower()


def test_the_training_code_never_reads_audit_attributes() -> None:
    for module in TRAINING_CODE:
        assert not [word for word in ("age_band", "gender", "audit_attributes") if word in _code(module)], module
        assert not [name for name in _imports(module) if "fairness" in name], module
    # The repository's history queries select no protected column either.
    for function in (repository.decisions, repository.placements):
        assert not [word for word in AUDIT_ONLY if word in inspect.getsource(function)]


def test_only_the_audit_reads_the_attributes_file() -> None:
    readers = [module.__name__ for module in (*TRAINING_CODE, repository, service)
               if "read_attributes" in inspect.getsource(module)]
    assert readers == []
    assert "read_attributes" in inspect.getsource(fairness)


def test_the_packaged_default_model_uses_the_contract_features_only() -> None:
    default = RankingModel.load(service.DEFAULT_MODEL_PATH)
    assert default.feature_names == FEATURE_NAMES
    assert default.version.startswith("default-")
    assert default.training["source"]["demo_seed"] == defaults.DEMO_SEED
    # Trained without text vectors: text similarity never moves its scores.
    assert {"semantic_opening", "semantic_employer"} <= set(default.training["features_without_variation"])
    rows = np.random.default_rng(0).random((3, len(FEATURE_NAMES)))
    changed = rows.copy()
    changed[:, [0, 1]] = np.nan
    assert np.array_equal(default.score(rows), default.score(changed))
