// SPDX-License-Identifier: GPL-2.0-only
/*
 * barn.c - the per-node store of full and empty sheaves shared by the CPUs
 * of a node.  barn->lock (a spinlock) protects both lists and counters; the
 * counters may be read without it as a racy precheck.  Without allow_spin
 * the lock is only trylocked.  Limits: MAX_FULL_SHEAVES full and
 * MAX_EMPTY_SHEAVES empty sheaves, except where a comment says the limit is
 * ignored (the total number of sheaves does not grow then).
 */
#include <errno.h>
#include <stdlib.h>
#include "percpu.h"

void barn_init(struct node_barn *barn)
{
	spin_lock_init(&barn->lock);
	INIT_LIST_HEAD(&barn->sheaves_full);
	INIT_LIST_HEAD(&barn->sheaves_empty);
	barn->nr_full = 0;
	barn->nr_empty = 0;
}

static bool barn_lock(struct node_barn *barn, bool allow_spin)
{
	if (allow_spin) {
		spin_lock(&barn->lock);
		return true;
	}
	return spin_trylock(&barn->lock);
}

static struct slab_sheaf *take_first(struct list_head *h, unsigned int *nr)
{
	struct slab_sheaf *sheaf = list_first_entry(h, struct slab_sheaf,
						    barn_list);

	list_del(&sheaf->barn_list);
	WRITE_ONCE(*nr, *nr - 1);
	return sheaf;
}

static void put_on(struct list_head *h, unsigned int *nr,
		   struct slab_sheaf *sheaf)
{
	list_add(&sheaf->barn_list, h);
	WRITE_ONCE(*nr, *nr + 1);
}

struct slab_sheaf *barn_get_empty_sheaf(struct node_barn *barn,
					bool allow_spin)
{
	struct slab_sheaf *sheaf = NULL;

	if (!READ_ONCE(barn->nr_empty) || !barn_lock(barn, allow_spin))
		return NULL;
	if (barn->nr_empty)
		sheaf = take_first(&barn->sheaves_empty, &barn->nr_empty);
	spin_unlock(&barn->lock);
	return sheaf;
}

/* the empty limit is the caller's business (it checked nr_empty) */
void barn_put_empty_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf)
{
	spin_lock(&barn->lock);
	put_on(&barn->sheaves_empty, &barn->nr_empty, sheaf);
	spin_unlock(&barn->lock);
}

/* ignores MAX_FULL_SHEAVES: the sheaf was somebody's main or spare */
void barn_put_full_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf)
{
	spin_lock(&barn->lock);
	put_on(&barn->sheaves_full, &barn->nr_full, sheaf);
	spin_unlock(&barn->lock);
}

struct slab_sheaf *barn_get_full_or_empty_sheaf(struct node_barn *barn)
{
	struct slab_sheaf *sheaf = NULL;

	if (!READ_ONCE(barn->nr_full) && !READ_ONCE(barn->nr_empty))
		return NULL;
	spin_lock(&barn->lock);
	if (barn->nr_full)
		sheaf = take_first(&barn->sheaves_full, &barn->nr_full);
	else if (barn->nr_empty)
		sheaf = take_first(&barn->sheaves_empty, &barn->nr_empty);
	spin_unlock(&barn->lock);
	return sheaf;
}

/*
 * Trade an empty sheaf for a full one.  The empty one is kept even past
 * MAX_EMPTY_SHEAVES: the number of sheaves does not change.
 */
struct slab_sheaf *barn_replace_empty_sheaf(struct node_barn *barn,
					    struct slab_sheaf *empty,
					    bool allow_spin)
{
	struct slab_sheaf *full = NULL;

	if (!READ_ONCE(barn->nr_full) || !barn_lock(barn, allow_spin))
		return NULL;
	if (barn->nr_full) {
		full = take_first(&barn->sheaves_full, &barn->nr_full);
		put_on(&barn->sheaves_empty, &barn->nr_empty, empty);
	}
	spin_unlock(&barn->lock);
	return full;
}

/*
 * Trade a full sheaf for an empty one.  NULL with -E2BIG when the barn
 * already holds MAX_FULL_SHEAVES, -ENOMEM when it has no empty sheaf,
 * -EBUSY when the trylock failed.
 */
struct slab_sheaf *barn_replace_full_sheaf(struct node_barn *barn,
					   struct slab_sheaf *full,
					   bool allow_spin, int *err)
{
	struct slab_sheaf *empty = NULL;

	if (READ_ONCE(barn->nr_full) >= MAX_FULL_SHEAVES) {
		*err = -E2BIG;
		return NULL;
	}
	if (!barn_lock(barn, allow_spin)) {
		*err = -EBUSY;
		return NULL;
	}
	if (barn->nr_full >= MAX_FULL_SHEAVES) {
		*err = -E2BIG;
	} else if (!barn->nr_empty) {
		*err = -ENOMEM;
	} else {
		empty = take_first(&barn->sheaves_empty, &barn->nr_empty);
		put_on(&barn->sheaves_full, &barn->nr_full, full);
	}
	spin_unlock(&barn->lock);
	return empty;
}

/* flush every full sheaf to slabs and free every sheaf of the barn */
void barn_shrink(struct kmem_cache *s, struct node_barn *barn)
{
	struct list_head full, empty;
	struct slab_sheaf *sheaf, *t;

	INIT_LIST_HEAD(&full);
	INIT_LIST_HEAD(&empty);
	spin_lock(&barn->lock);
	list_for_each_entry_safe(sheaf, t, &barn->sheaves_full, barn_list) {
		list_del(&sheaf->barn_list);
		list_add(&sheaf->barn_list, &full);
	}
	list_for_each_entry_safe(sheaf, t, &barn->sheaves_empty, barn_list) {
		list_del(&sheaf->barn_list);
		list_add(&sheaf->barn_list, &empty);
	}
	WRITE_ONCE(barn->nr_full, 0);
	WRITE_ONCE(barn->nr_empty, 0);
	spin_unlock(&barn->lock);
	list_for_each_entry_safe(sheaf, t, &full, barn_list) {
		sheaf_flush_unused(s, sheaf);
		free_empty_sheaf(s, sheaf);
	}
	list_for_each_entry_safe(sheaf, t, &empty, barn_list)
		free_empty_sheaf(s, sheaf);
}
