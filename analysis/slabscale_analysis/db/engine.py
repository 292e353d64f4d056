"""Opening the database: the engine for a URL, SQLite's settings (WAL, a
busy timeout, writers that take the write lock when they begin), and the
schema brought to the newest migration, one process at a time."""

import os
import threading

import sqlalchemy as sa

from ..errors import UserError
from . import HEAD, Unavailable, describe, require

BUSY_MS = 120000            # SQLite: how long a writer waits for another
PG_LOCK = 0x51ab5ca1e       # PostgreSQL advisory lock of the migrations

_cache = {}
_cache_lock = threading.Lock()


def _sqlite_events(engine, write):
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _rec):
        # transactions are begun below, not by the driver
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=%d" % BUSY_MS)
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        # a writer takes the write lock at once (a deferred transaction
        # that reads, then writes, fails instead of waiting when another
        # writer committed in between); readers never block in WAL mode
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def current_revision(conn):
    """The schema's migration, read without alembic (which takes a
    while to import; a reader of a current database never needs it)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text(
        "SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine):
    """Bring the schema to the newest migration (HEAD).  Two processes
    opening a new database at once: one migrates, the other waits
    (SQLite: the write lock; PostgreSQL: an advisory lock) and finds it
    done."""
    with engine.connect() as conn:
        if current_revision(conn) == HEAD:
            return
    from . import migrate
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                         {"k": PG_LOCK})
        if current_revision(conn) != HEAD:
            migrate.upgrade(conn)


def _wrap(url, e):
    first = str(getattr(e, "orig", None) or e).strip().splitlines()
    return Unavailable("database %s: %s" % (
        describe(url), first[0] if first else type(e).__name__))


def open_db(url, write=True, migrate=True):
    """The engine for url (cached per process), its schema migrated.
    Unavailable (exit 3) when it cannot be reached or used."""
    require(url)
    if not write and url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and not os.path.exists(path):
            raise UserError("no results database %s (a sweep records into "
                            "it; slabscale db import DIR fills it from "
                            "the JSON files)" % path)
    if migrate and not write:
        # migrations write: a reader's transactions may not take the
        # write lock they need
        open_db(url, write=True)
        migrate = False
    key = (url, write)
    with _cache_lock:
        eng = _cache.get(key)
    if eng is not None:
        return eng
    try:
        if url.startswith("sqlite"):
            path = sa.engine.make_url(url).database
            if path:
                os.makedirs(os.path.dirname(os.path.abspath(path)),
                            exist_ok=True)
            eng = sa.create_engine(url, future=True,
                                   connect_args={"timeout": BUSY_MS / 1000})
            _sqlite_events(eng, write)
        else:
            eng = sa.create_engine(url, future=True, pool_pre_ping=True)
        if migrate:
            upgrade(eng)
    except (sa.exc.SQLAlchemyError, OSError) as e:
        raise _wrap(url, e)
    with _cache_lock:
        _cache[key] = eng
    return eng


def forget(url=None):
    """Dispose of cached engines (tests, a database that went away)."""
    with _cache_lock:
        for k in list(_cache):
            if url is None or k[0] == url:
                _cache.pop(k).dispose()


def wrap_errors(url):
    """Context manager: a database error becomes Unavailable (one line)."""
    return _Wrap(url)


class _Wrap:
    def __init__(self, url):
        self.url = url

    def __enter__(self):
        return self

    def __exit__(self, typ, e, tb):
        if e is not None and isinstance(e, sa.exc.SQLAlchemyError):
            raise _wrap(self.url, e) from None
        return False
