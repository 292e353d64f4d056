# barrier-on-cache (6.18 stable fix): kmem_cache_destroy(s) calls
# kvfree_rcu_barrier_on_cache(s), flushing the rcu sheaves of s only.
VARIANT_CONFIG_barrier-on-cache := $(VARIANT_CONFIG_rcu-sheaf) \
	-DCONFIG_SLUB_BARRIER_ON_CACHE
