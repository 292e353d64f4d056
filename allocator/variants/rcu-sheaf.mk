# rcu-sheaf (6.18): kfree_rcu() on a sheaf cache collects objects in a
# per-CPU rcu_free sheaf handed to call_rcu() when full; the barriers flush
# rcu sheaves on every CPU, and kmem_cache_destroy() calls the GLOBAL
# kvfree_rcu_barrier() (every sheaf cache, every CPU).
VARIANT_CONFIG_rcu-sheaf := $(VARIANT_CONFIG_sheaves) -DCONFIG_SLUB_RCU_SHEAF
