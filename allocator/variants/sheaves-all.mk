# sheaves-all (7.0 as merged: "slab: refill sheaves from all nodes" with
# 40fd0acc45d0 "slub: avoid list_lock contention from
# __refill_objects_any()"): as refill-all-nodes, but a remote node's
# list_lock is only trylocked; a busy one is skipped.
VARIANT_CONFIG_sheaves-all := $(VARIANT_CONFIG_refill-all-nodes) \
	-DCONFIG_SLUB_REFILL_TRYLOCK
