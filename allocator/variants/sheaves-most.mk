# sheaves-most (7.0: "slab: add sheaves to most caches", "slab: introduce
# percpu sheaves bootstrap"): every cache but the kmalloc buckets and debug
# caches gets percpu sheaves, of capacity max(the default for its object
# size, the one asked); the kmalloc buckets get the zero-size bootstrap
# sheaf (their hit paths take the per-CPU lock, find nothing and go to the
# cpu slab).  The cpu (partial) slabs are still behind the sheaves.
VARIANT_CONFIG_sheaves-most := $(VARIANT_CONFIG_barrier-on-cache) \
	-DCONFIG_SLUB_SHEAVES_MOST
