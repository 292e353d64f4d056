# sheaves-all (7.0): sheaves for every cache, kmalloc buckets included
# (default capacity by object size; debug caches excepted), and the cpu
# slab layer removed: no CONFIG_SLUB_CPU_SLAB, so this one is spelled out.
VARIANT_CONFIG_sheaves-all := -DCONFIG_SLUB_SHEAVES -DCONFIG_SLUB_SHEAVES_ALL \
	-DCONFIG_SLUB_RCU_SHEAF -DCONFIG_SLUB_BARRIER_ON_CACHE \
	-DCONFIG_SLUB_SHEAVES_MOST -DCONFIG_SLUB_NOLOCK_SHEAVES
