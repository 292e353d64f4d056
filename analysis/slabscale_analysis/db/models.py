"""The schema (SQLAlchemy Core), after LLVM LNT's: machines, orders,
plans and sweeps, runs with their samples, metrics, marks.

* machines: one per host identity (hostname, CPU model, CPUs, arch: the
  fields that must agree for two runs to be compared), with the rest of
  the host object (kernel, NUMA nodes, memory) as `info`.  A run belongs
  to exactly one machine, so two hosts are never pooled.
* orders: where a run sits in history: the project's git commit (and
  whether the tree was dirty) and the allocator variant with its place in
  allocator/variants.list.
* plans (by plan hash) and sweeps: a sweep is one night's run of a plan
  on one machine (or a bisection's runs, kind 'bisect'); a sweep that
  `sweep --slurm` dispatched carries the dispatch id.  Runs found outside
  both have no sweep.
* runs: one per run document, keyed by its identity (run_id, or a digest
  of its samples for older documents), so importing twice gives one run;
  the document itself is kept (zlib-compressed JSON) so readers rebuild
  exactly the runs the JSON loaders return.
* metrics: one row per metric name with its unit and direction (and the
  role and family a metric registry gives); samples: one value per run
  and metric.
* marks: one row per mark of a run (`disturbed`, `off_nominal_intervals`,
  any later reason), stored generically: reason, message, the mark's
  fields as JSON.

Changing this file needs a new migration under migrations/versions.
"""

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint)

NAMING = {"ix": "ix_%(column_0_label)s",
          "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}

metadata = MetaData(naming_convention=NAMING)

machines = Table(
    "machines", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("identity", String(64), nullable=False, unique=True),
    Column("hostname", String(255)),
    Column("cpu_model", Text),
    Column("nr_cpus", Integer),
    Column("arch", String(64)),
    Column("info", Text, nullable=False))

orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True),
    Column("git_commit", String(64), nullable=False),
    Column("git_dirty", Boolean, nullable=False),
    Column("variant", String(255), nullable=False),
    Column("variant_place", Integer),
    UniqueConstraint("git_commit", "git_dirty", "variant",
                     name="uq_orders_commit_dirty_variant"))

plans = Table(
    "plans", metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("plan", Text, nullable=False))

sweeps = Table(
    "sweeps", metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(255), nullable=False),      # the sweep id
    Column("kind", String(16), nullable=False),
    Column("machine_id", Integer, ForeignKey("machines.id"), nullable=False),
    Column("plan_id", Integer, ForeignKey("plans.id")),
    Column("state", String(16)),
    Column("started", String(32)),
    Column("finished", String(32)),
    Column("path", Text),
    Column("dispatch", String(255)),     # sweep --slurm: the dispatch id
    Column("verdict", String(16)),       # clean, regression, incomplete,
                                         # disturbed (the sweep's exit)
    Index("ix_sweeps_dispatch", "dispatch"),
    # sweep ids are unique on one host only (results/<host>/...)
    UniqueConstraint("machine_id", "uid", name="uq_sweeps_machine_uid"))

metrics = Table(
    "metrics", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("unit", String(32)),
    Column("direction", String(8)),      # 'higher', 'lower' or NULL
    Column("role", String(32)),          # for the metric registry
    Column("family", String(64)))

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(96), nullable=False, unique=True),
    Column("sweep_id", Integer, ForeignKey("sweeps.id")),
    Column("machine_id", Integer, ForeignKey("machines.id"), nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
    Column("case", String(255), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("nr_task", Integer, nullable=False),
    Column("params", Text, nullable=False),      # canonical JSON
    Column("repeat", Integer),   # its interleaved round within its sweep
    Column("status", String(16), nullable=False),
    Column("disturbed", Boolean, nullable=False),
    Column("start_time", String(32)),
    Column("path", Text),
    Column("recorded", String(32), nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Index("ix_runs_series", "machine_id", "case", "mode", "nr_task"),
    Index("ix_runs_sweep", "sweep_id"))

samples = Table(
    "samples", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"),
           primary_key=True),
    Column("metric_id", Integer, ForeignKey("metrics.id"), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_samples_metric", "metric_id", "run_id"))

marks = Table(
    "marks", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"),
           nullable=False),
    Column("reason", String(64), nullable=False),
    Column("message", Text),
    Column("data", Text, nullable=False),
    Index("ix_marks_run", "run_id"),
    Index("ix_marks_reason", "reason"))
