# sheaves (6.18): opt-in percpu sheaves for caches created with
# sheaf_capacity, layered on top of the cpu slab.
VARIANT_CONFIG_sheaves := $(VARIANT_CONFIG_cpuslab) -DCONFIG_SLUB_SHEAVES
