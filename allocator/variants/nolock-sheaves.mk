# nolock-sheaves (7.0 prep): kmalloc_nolock()/kfree_nolock() go through the
# percpu sheaves with allow_spin = false (barn trylock, no E2BIG flush, no
# sheaf allocation) instead of bypassing them.
VARIANT_CONFIG_nolock-sheaves := $(VARIANT_CONFIG_barrier-on-cache) \
	-DCONFIG_SLUB_NOLOCK_SHEAVES
