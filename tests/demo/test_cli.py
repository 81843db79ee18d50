"""The `demo-data` command: options reach the generator and bad input is refused with a message."""

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from demo.cli import demo_data
from demo.generator import FILES, MANIFEST

app = typer.Typer()
app.command()(demo_data)


def test_writes_the_files_with_the_given_options(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = CliRunner().invoke(app, [
        "--out", str(out), "--jobcentres", "101,851", "--citizens", "30", "--employers", "10",
        "--openings-per-employer", "1.5", "--seed", "4", "--history-weeks", "26", "--reference-date", "2025-06-02",
    ])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["arguments"] == {
        "jobcentres": [101, 851], "citizens": 30, "employers": 10, "openings_per_employer": 1.5, "seed": 4,
        "history_weeks": 26, "reference_date": "2025-06-02",
    }
    assert all((out / name).is_file() for name in FILES)
    codes = {json.loads(line)["jobcentre_code"] for line in (out / "citizens.jsonl").read_text().splitlines()}
    assert codes == {101, 851}


def test_refuses_an_unknown_kommune(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--out", str(tmp_path), "--jobcentres", "101,999", "--citizens", "1"])
    assert result.exit_code != 0
    assert "999" in result.output


def test_refuses_a_malformed_jobcentre_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--out", str(tmp_path), "--jobcentres", "København"])
    assert result.exit_code != 0
