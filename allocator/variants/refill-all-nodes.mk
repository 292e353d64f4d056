# refill-all-nodes (7.0: "slab: refill sheaves from all nodes", before
# 40fd0acc45d0): a refill short of objects on the local node takes the
# other nodes' partial lists (nr_partial above min_partial) under their
# list_lock, spinning for it, before a new slab; kmem_cache_alloc_bulk()
# refills the same way.  0-day reported the list_lock contention.
VARIANT_CONFIG_refill-all-nodes := $(VARIANT_CONFIG_no-cpu-slab) \
	-DCONFIG_SLUB_REFILL_ALL_NODES
