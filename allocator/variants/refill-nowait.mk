# refill-nowait (7.0-rc3: fb1091febd66 "mm/slab: allow sheaf refill if
# blocking is not allowed"): a caller that may not block but may spin
# (GFP_NOWAIT: the maple tree's mas_store_gfp() at munmap) refills an
# empty sheaf from the slabs with its own gfp instead of taking one object
# at a time from the slow path.
VARIANT_CONFIG_refill-nowait := $(VARIANT_CONFIG_sheaves-all) \
	-DCONFIG_SLUB_REFILL_NOWAIT
