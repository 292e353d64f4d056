# cases/cases.mk - case-specific build and tests (owned by the cases).  Placeholder.
