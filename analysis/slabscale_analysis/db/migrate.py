"""Running the alembic migrations (migrations/) on a connection."""

import os

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "migrations")


def config(conn=None):
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def script_head():
    """The newest migration of migrations/versions (db.HEAD names it)."""
    return ScriptDirectory.from_config(config()).get_current_head()


def upgrade(conn):
    command.upgrade(config(conn), "head")
