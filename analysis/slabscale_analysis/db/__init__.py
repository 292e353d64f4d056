"""The results database: every run document, also recorded in SQL.

SQLite by default (a file under results/, WAL mode, so a sweep and a
report run at once), PostgreSQL for a fleet (`--db postgresql://...` or
$SLABSCALE_DB).  One schema for both (models.py), versioned migrations
(alembic, migrations/).  The JSON files under results/ stay the archive
of record: the database is rebuilt from them with `slabscale db import`.

Only this file is imported by code that runs without the database
(sweep, compare): it names the database and checks that its Python
modules are there, so a missing package is one line, never a traceback.
"""

import importlib.util
import os

from ..errors import UserError

ENV = "SLABSCALE_DB"
HEAD = "0001"           # the newest migration (migrations/versions)
SQLITE_NAME = "slabscale.db"
OFF = ("none", "off")

MODULES = (("sqlalchemy", "python3-sqlalchemy"),
           ("alembic", "python3-alembic"))
PG_MODULE = ("psycopg2", "python3-psycopg2")


def url_for(db_arg, results):
    """The database URL: --db, else $SLABSCALE_DB, else the SQLite file
    results/slabscale.db; None when switched off (--db none).  A value
    without '://' is the path of an SQLite file."""
    u = db_arg or os.environ.get(ENV) or ""
    if u.lower() in OFF:
        return None
    if not u:
        u = os.path.join(results, SQLITE_NAME)
    if "://" not in u:
        return "sqlite:///" + os.path.abspath(u)
    return u


def describe(url):
    """The URL without a password, for messages."""
    if "://" not in url or "@" not in url.split("://", 1)[1].split("/", 1)[0]:
        return url
    scheme, rest = url.split("://", 1)
    cred, tail = rest.split("@", 1)
    return "%s://%s@%s" % (scheme, cred.split(":", 1)[0], tail)


def missing_modules(url=None):
    """The Debian packages whose Python modules are missing for url."""
    need = list(MODULES)
    if url and url.startswith("postgresql"):
        need.append(PG_MODULE)
    return [pkg for mod, pkg in need if importlib.util.find_spec(mod) is None]


def require(url=None):
    """Refuse (exit 2, one line) when a module the database needs is
    missing."""
    miss = missing_modules(url)
    if miss:
        raise UserError("the results database needs %s (Debian package%s; "
                        "install with: make deps)" % (
                            ", ".join(miss), "s" if len(miss) > 1 else ""))


class Unavailable(UserError):
    """The database cannot be reached or used (exit 3: the machine's or
    the network's fault, not the input's)."""
    code = 3
