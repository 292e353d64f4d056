# sheaves-all (7.0 as merged: "slab: refill sheaves from all nodes", with
# 40fd0acc45d0 "slub: avoid list_lock contention from
# __refill_objects_any()"): a refill short of objects on the local node
# tries the other nodes' partial lists, with a list_lock trylock, before a
# new slab; kmem_cache_alloc_bulk() refills the same way.
VARIANT_CONFIG_sheaves-all := $(VARIANT_CONFIG_no-cpu-slab) \
	-DCONFIG_SLUB_REFILL_ALL_NODES
