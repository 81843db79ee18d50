"""The production compose file and the command line agree with each other."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_postgres_with_pgvector_redis_api_and_worker() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "api", "worker"} <= set(services)
    assert "pgvector" in services["postgres"]["image"]
    for name in ("api", "worker", "migrate"):
        environment = services[name]["environment"]
        assert environment["BROBYGGER_ENVIRONMENT"] == "production"
        assert "BROBYGGER_TOKEN_SECRET" in environment


def test_every_command_the_compose_file_runs_exists() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    runner = CliRunner()
    for service in compose["services"].values():
        command = service.get("command")
        if not command or command[0] != "brobygger":
            continue
        subcommand = [part for part in command[1:] if not part.startswith("-")][:2]
        result = runner.invoke(app, [*subcommand[:1], "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_the_cli_lists_its_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "token", "import", "taxonomy", "demo-data"):
        assert command in result.output


def test_the_image_copies_every_package_the_project_installs() -> None:
    import re
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE))
    assert {pattern.rstrip("*") for pattern in packages} <= copied
