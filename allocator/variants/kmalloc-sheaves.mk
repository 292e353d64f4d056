# kmalloc-sheaves (7.0: "slab: handle kmalloc sheaves bootstrap"): the
# kmalloc buckets get real sheaves too, of the default capacity; the cpu
# (partial) slabs are still behind them.
VARIANT_CONFIG_kmalloc-sheaves := $(VARIANT_CONFIG_nolock-sheaves) \
	-DCONFIG_SLUB_KMALLOC_SHEAVES
