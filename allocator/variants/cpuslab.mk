# cpuslab: classic SLUB (<= 6.17): per-CPU slab with a lockless freelist,
# per-CPU partial slabs, no sheaves.
VARIANT_CONFIG_cpuslab := -DCONFIG_SLUB_CPU_SLAB
