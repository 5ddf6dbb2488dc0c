"""Alembic environment: the target metadata is broadcast.models; the connection comes from
``broadcast.db.init_db`` (config.attributes["connection"]) or from the configured URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

from broadcast import models

config = context.config
target_metadata = models.Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    # Migrations must not import model classes that may later move: UTCDateTime is a DateTime.
    if type_ == "type" and isinstance(obj, models.UTCDateTime):
        return "sa.DateTime()"
    return False


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # Tables other software keeps in the same database (APScheduler's "scheduler_jobs") are not ours.
    if type_ == "table":
        return name in target_metadata.tables
    return True


def _configure(connection: object | None = None, **kw: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        # Batch mode lets ALTERs run on SQLite (copy-and-move); other backends ALTER in place.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_name=_include_name,
        connection=connection,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
