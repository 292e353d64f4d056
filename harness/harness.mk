# harness/harness.mk - the runner (owned by the harness).  Placeholder.
