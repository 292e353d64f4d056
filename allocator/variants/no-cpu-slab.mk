# no-cpu-slab (7.0: "slab: add optimized sheaf refill from partial list",
# "slab: remove cpu (partial) slabs usage from allocation paths" and the
# removals after it): no cpu slab, no per-CPU partial slabs; a sheaf is
# refilled straight from the local node's partial list (slabs detached in
# bulk under one list_lock) and new slabs.  Drops CONFIG_SLUB_CPU_SLAB, so
# it is spelled out.
VARIANT_CONFIG_no-cpu-slab := -DCONFIG_SLUB_SHEAVES -DCONFIG_SLUB_RCU_SHEAF \
	-DCONFIG_SLUB_BARRIER_ON_CACHE -DCONFIG_SLUB_SHEAVES_MOST \
	-DCONFIG_SLUB_NOLOCK_SHEAVES -DCONFIG_SLUB_KMALLOC_SHEAVES
