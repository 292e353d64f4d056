# allocator/allocator.mk - libslab.a per variant (owned by the allocator).  Placeholder.
