# nolock-sheaves (7.0: f1427a1d "slab: make percpu sheaves compatible with
# kmalloc_nolock()/kfree_nolock()"): kmalloc_nolock()/kfree_nolock() try
# the percpu sheaves with allow_spin = false (barn trylock, no E2BIG flush,
# no sheaf allocation) before the cpu slab.  The kmalloc buckets still have
# only the bootstrap sheaf here, so for them it always goes slow.
VARIANT_CONFIG_nolock-sheaves := $(VARIANT_CONFIG_sheaves-most) \
	-DCONFIG_SLUB_NOLOCK_SHEAVES
