"""Alembic environment: runs the raw-SQL migrations over a synchronous psycopg connection."""

from alembic import context
from sqlalchemy import create_engine, pool


def _sqlalchemy_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in {"postgres", "postgresql"} else database_url


def _run_online() -> None:
    engine = create_engine(_sqlalchemy_url(context.config.attributes["database_url"]), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_sqlalchemy_url(context.config.attributes["database_url"]), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
