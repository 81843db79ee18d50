"""Settings: secrets are refused when left at the development default outside development, or too short."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import DEVELOPMENT_TOKEN_SECRET, Settings

STRONG_SECRET = "a-long-random-secret-for-production-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No BROBYGGER_* variables or .env file from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("BROBYGGER_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="BROBYGGER_TOKEN_SECRET is left at its development default"):
        Settings(environment=environment)


def test_default_secret_is_refused_when_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROBYGGER_ENVIRONMENT", "production")

    with pytest.raises(ValidationError, match="development default"):
        Settings()

    monkeypatch.setenv("BROBYGGER_TOKEN_SECRET", STRONG_SECRET)
    assert Settings().token_secret.get_secret_value() == STRONG_SECRET


def test_default_secret_is_allowed_in_development() -> None:
    settings = Settings()

    assert settings.environment == "development"
    assert settings.token_secret.get_secret_value() == DEVELOPMENT_TOKEN_SECRET


@pytest.mark.parametrize("environment", ["development", "production"])
def test_short_secret_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment=environment, token_secret="x" * 31)

    assert Settings(environment=environment, token_secret="x" * 32).token_secret.get_secret_value() == "x" * 32


def test_secret_never_appears_in_the_settings_repr() -> None:
    settings = Settings(environment="production", token_secret=STRONG_SECRET)

    assert STRONG_SECRET not in repr(settings)
    assert STRONG_SECRET not in str(settings.model_dump())


def test_env_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BROBYGGER_ENVIRONMENT=production\nBROBYGGER_TOKEN_SECRET={STRONG_SECRET}\n",
                                   encoding="utf-8")

    settings = Settings()

    assert (settings.environment, settings.token_secret.get_secret_value()) == ("production", STRONG_SECRET)


def test_embedded_servers_are_used_only_without_urls() -> None:
    embedded = Settings()
    external = Settings(database_url="postgresql://db/brobygger", redis_url="redis://cache:6379/0")

    assert (embedded.embedded_database, embedded.embedded_redis) == (True, True)
    assert (external.embedded_database, external.embedded_redis) == (False, False)
