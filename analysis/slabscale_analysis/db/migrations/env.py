"""alembic's environment: migrations run on the connection that
engine.upgrade() hands over (never from an ini file)."""

from alembic import context

from slabscale_analysis.db.models import metadata

conn = context.config.attributes["connection"]
context.configure(connection=conn, target_metadata=metadata,
                  render_as_batch=conn.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
