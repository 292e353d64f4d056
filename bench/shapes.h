/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shapes.h - the kernel's sheaf and cpu-slab fast paths written out
 * plainly (shapes.c): the yardstick bench-pair holds the model against.
 * shape_setup() once, then pairs of alloc and free of either shape.
 */
#ifndef SLABSCALE_BENCH_SHAPES_H
#define SLABSCALE_BENCH_SHAPES_H

struct shape_cache;
extern struct shape_cache *shape_cache;

void shape_setup(void);
void *shape_sheaf_alloc(struct shape_cache *s);
void shape_sheaf_free(struct shape_cache *s, void *object);
void *shape_cpu_slab_alloc(struct shape_cache *s);
void shape_cpu_slab_free(struct shape_cache *s, void *object);

#endif
