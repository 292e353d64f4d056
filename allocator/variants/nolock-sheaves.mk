# nolock-sheaves (7.0 prep): kmalloc_nolock()/kfree_nolock() go through the
# percpu sheaves with allow_spin = false (barn trylock, no E2BIG flush, no
# sheaf allocation) instead of bypassing them.
# CONFIG_SLUB_SHEAVES_MOST: the 7.0 series (here for its RCU half: the
# rcu_barrier() in kvfree_rcu_barrier_on_cache(), README-rcu.md).
VARIANT_CONFIG_nolock-sheaves := $(VARIANT_CONFIG_barrier-on-cache) \
	-DCONFIG_SLUB_SHEAVES_MOST -DCONFIG_SLUB_NOLOCK_SHEAVES
