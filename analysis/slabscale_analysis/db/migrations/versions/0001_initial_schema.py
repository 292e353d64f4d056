"""initial schema: machines, orders, plans, sweeps, metrics, runs, samples,
marks (db/models.py)

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('machines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('identity', sa.String(length=64), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=True),
    sa.Column('cpu_model', sa.Text(), nullable=True),
    sa.Column('nr_cpus', sa.Integer(), nullable=True),
    sa.Column('arch', sa.String(length=64), nullable=True),
    sa.Column('info', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machines')),
    sa.UniqueConstraint('identity', name=op.f('uq_machines_identity'))
    )
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('family', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics')),
    sa.UniqueConstraint('name', name=op.f('uq_metrics_name'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('git_commit', sa.String(length=64), nullable=False),
    sa.Column('git_dirty', sa.Boolean(), nullable=False),
    sa.Column('variant', sa.String(length=255), nullable=False),
    sa.Column('variant_place', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('git_commit', 'git_dirty', 'variant', name='uq_orders_commit_dirty_variant')
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('hash', name=op.f('uq_plans_hash'))
    )
    op.create_table('sweeps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=True),
    sa.Column('started', sa.String(length=32), nullable=True),
    sa.Column('finished', sa.String(length=32), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('dispatch', sa.String(length=255), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_sweeps_machine_id_machines')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_sweeps_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweeps')),
    sa.UniqueConstraint('machine_id', 'uid', name='uq_sweeps_machine_uid')
    )
    with op.batch_alter_table('sweeps', schema=None) as batch_op:
        batch_op.create_index('ix_sweeps_dispatch', ['dispatch'], unique=False)

    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=96), nullable=False),
    sa.Column('sweep_id', sa.Integer(), nullable=True),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('case', sa.String(length=255), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('nr_task', sa.Integer(), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('disturbed', sa.Boolean(), nullable=False),
    sa.Column('start_time', sa.String(length=32), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('recorded', sa.String(length=32), nullable=False),
    sa.Column('doc', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_runs_machine_id_machines')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_runs_order_id_orders')),
    sa.ForeignKeyConstraint(['sweep_id'], ['sweeps.id'], name=op.f('fk_runs_sweep_id_sweeps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs')),
    sa.UniqueConstraint('uid', name=op.f('uq_runs_uid'))
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_series', ['machine_id', 'case', 'mode', 'nr_task'], unique=False)
        batch_op.create_index('ix_runs_sweep', ['sweep_id'], unique=False)

    op.create_table('marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_marks_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marks'))
    )
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.create_index('ix_marks_reason', ['reason'], unique=False)
        batch_op.create_index('ix_marks_run', ['run_id'], unique=False)

    op.create_table('samples',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_samples_metric_id_metrics')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_samples_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'metric_id', name=op.f('pk_samples'))
    )
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.create_index('ix_samples_metric', ['metric_id', 'run_id'], unique=False)



def downgrade():
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.drop_index('ix_samples_metric')

    op.drop_table('samples')
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.drop_index('ix_marks_run')
        batch_op.drop_index('ix_marks_reason')

    op.drop_table('marks')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_sweep')
        batch_op.drop_index('ix_runs_series')

    op.drop_table('runs')
    with op.batch_alter_table('sweeps', schema=None) as batch_op:
        batch_op.drop_index('ix_sweeps_dispatch')

    op.drop_table('sweeps')
    op.drop_table('plans')
    op.drop_table('orders')
    op.drop_table('metrics')
    op.drop_table('machines')
