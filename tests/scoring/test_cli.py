"""`brobygger model …` from the command line: train, list, evaluate, promote, roll back and audit, and
training with too little history."""

import asyncio
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from core.config import Settings
from scoring import service, training
from tests.scoring.conftest import FAST


async def _cli(*arguments: str) -> Result:
    """The command runs its own event loop, so it runs in a thread beside the test's."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


@pytest.fixture
def fast_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real fit (with its calibration), with fewer boosting rounds."""
    fit = training.fit
    monkeypatch.setattr(training, "fit", lambda train, **params: fit(train, **{**params, **FAST}))


async def test_the_model_lifecycle_from_the_command_line(history_cli: Settings, history_dir: Path,
                                                         fast_training: None) -> None:
    trained = await _cli("model", "train")
    assert trained.exit_code == 0, trained.output
    assert "weighted_baseline" in trained.stdout and "semantic_similarity" in trained.stdout
    found = re.search(r"registered (ranker-\d{8}-\d{6}-[0-9a-f]{4})", trained.stdout)
    assert found, trained.stdout
    version = found.group(1)
    assert (history_cli.data_dir / "models" / f"{version}.json").exists()

    listed = await _cli("model", "list")
    assert listed.exit_code == 0, listed.output
    assert version in listed.stdout and "no model promoted" in listed.stdout

    evaluated = await _cli("model", "evaluate", version)
    assert evaluated.exit_code == 0, evaluated.output
    assert f"candidate ({version})" in evaluated.stdout
    # Calibration is reported with the figure before the calibration step.
    calibration = next(line for line in evaluated.stdout.splitlines() if f"candidate ({version})" in line
                       and line.count("0.") == 4)
    assert "calibration" in evaluated.stdout and "ECE raw" in evaluated.stdout, calibration

    promoted = await _cli("model", "promote", version, "--force")
    assert promoted.exit_code == 0, promoted.output
    assert f"{version} is now active" in promoted.stdout

    audited = await _cli("model", "audit", "--attributes", str(history_dir / "citizen_audit_attributes.jsonl"),
                         "--json")
    assert audited.exit_code in (0, 1), audited.output  # 1: a ratio below 0.8 was flagged
    report = json.loads(audited.stdout)
    assert report["version"] == version and report["pairs"] > 0
    attributes = {row["attribute"] for row in report["findings"]}
    assert attributes == {"age_band", "gender", "target_group", "kommune", "employer_size"}
    assert (audited.exit_code == 1) == any(row["flagged"] for row in report["findings"])

    rolled = await _cli("model", "rollback", "default")
    assert rolled.exit_code == 0, rolled.output
    assert f"replacing {version}" in rolled.stdout

    unknown = await _cli("model", "promote", "ranker-unknown")
    assert unknown.exit_code == 2 and "no model version" in unknown.output


async def test_too_little_history_keeps_the_default_model(cli_environment: None) -> None:
    trained = await _cli("model", "train")
    assert trained.exit_code == 2
    message = " ".join(trained.output.split())
    assert "too little history" in message and "active model is kept" in message
    listed = await _cli("model", "list")
    assert listed.exit_code == 0, listed.output
    assert f"serving: {service.default_scorer().version} (no model promoted)" in listed.stdout
