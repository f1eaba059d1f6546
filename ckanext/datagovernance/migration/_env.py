"""The alembic environment shared by every migration chain of the suite: a
chain's folder name is the plugin name and names its own version table."""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool


def run(env_file: str) -> None:
    config = context.config
    if config.config_file_name:
        fileConfig(config.config_file_name)
    name = os.path.basename(os.path.dirname(env_file))
    version_table = f"{name}_alembic_version"
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=None,
            literal_binds=True, version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
