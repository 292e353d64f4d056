# memoryless-barns (7.1: "slab: support memoryless nodes with sheaves":
# "slab: decouple pointer to barn from kmem_cache_node", "slab: create
# barns for online memoryless nodes", "slab: free remote objects to
# sheaves on memoryless nodes"): a CPU of a node without memory has a barn
# (its sheaves refill and trade like any other), and frees the objects of
# other nodes, which are all its objects, into its sheaves.
VARIANT_CONFIG_memoryless-barns := $(VARIANT_CONFIG_refill-nowait) \
	-DCONFIG_SLUB_MEMORYLESS_BARNS
