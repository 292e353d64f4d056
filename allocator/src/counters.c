// SPDX-License-Identifier: GPL-2.0-only
/*
 * counters.c - SLUB_STATS-like counters, the JSON export and the slabinfo
 * dump.
 *
 * Counters are per cache and per CPU (s->stats, one cache-line-aligned row
 * per CPU), bumped with a one-instruction add inside an rseq sequence (or
 * a relaxed atomic add in the fallback), and summed on read without
 * stopping anybody.  The sheaf fast paths count into their main sheaf's
 * size word (pcs.h): a read locks each CPU's sheaves in turn to fold those
 * counts into stat_alloc/stat_free, so it may wait for a lock holder.
 *
 * Every object allocation counts exactly one of ALLOC_FASTPATH,
 * ALLOC_SLOWPATH, ALLOC_PCS, ALLOC_FROM_SHEAF and every free one of
 * FREE_FASTPATH, FREE_SLOWPATH, FREE_PCS, so active objects = allocations
 * - frees (slab.h, enum slab_stat_item).
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pcs.h"
#include "cpu_slab.h"

#define STAT_NAME(item, name, unit, better, what)	[item] = name,
static const char *const stat_names[NR_SLAB_STAT_ITEMS] = {
	SLAB_STAT_ITEMS(STAT_NAME)
};
#undef STAT_NAME

#define BETTER_LOWER	"lower"
#define BETTER_HIGHER	"higher"
#define BETTER_NONE	"none"
#define STAT_INFO(item, name, unit, better, what)	\
	{ "stats", name, unit, BETTER_##better, what },
#define LOCK_INFO(field, unit, better, what)		\
	{ "locks", #field, unit, BETTER_##better, what },
static const struct slab_counter_info counter_info[] = {
	SLAB_STAT_ITEMS(STAT_INFO)
	SLAB_LOCK_FIELDS(LOCK_INFO)
};
#undef STAT_INFO
#undef LOCK_INFO

const struct slab_counter_info *slab_counter_info(unsigned int *nr)
{
	if (nr)
		*nr = sizeof(counter_info) / sizeof(counter_info[0]);
	return counter_info;
}

const char *slab_stat_name(enum slab_stat_item item)
{
	if ((unsigned int)item >= NR_SLAB_STAT_ITEMS)
		return NULL;
	return stat_names[item];
}

void slab_stat_inc(struct kmem_cache *s, enum slab_stat_item item)
{
	stat(s, item);
}

void slab_stat_add(struct kmem_cache *s, enum slab_stat_item item,
		   unsigned long v)
{
	stat_add(s, item, v);
}

/* where the sheaf fast paths' hits are reported in this variant */
#ifdef CONFIG_SLUB_CPU_SLAB
#define PCS_ALLOC_ITEM	ALLOC_PCS
#define PCS_FREE_ITEM	FREE_PCS
#else
#define PCS_ALLOC_ITEM	ALLOC_FASTPATH
#define PCS_FREE_ITEM	FREE_FASTPATH
#endif

/*
 * One CPU's sheaf hits.  Locking folds the counts still pending in main's
 * size word, and those can be every hit since main was last replaced: a
 * CPU whose hits pop and push in turn (an allocation freed soon after)
 * never empties or fills main, so nearly all of its hits are pending.
 * The reader therefore waits for a busy lock (a holder preempted inside
 * its section, for as long as the scheduler keeps it off, or a remote
 * locker), as sysfs's show of SLUB_STATS never misses a this_cpu_inc().
 * Only a caller that holds a per-CPU lock itself (its preempt count is
 * raised: a handler that interrupted a holder; or it holds a remote lock:
 * a test, a fork handler) must not wait: it
 * tries the lock a bounded number of times, then reports the counts as of
 * the last fold.
 */
#define PCS_STATS_TRIES	64

static bool holds_cpu_lock(void)
{
	return slab_preempt_count != PREEMPT_NEED_RESCHED || slab_remote_locks;
}

/*
 * One CPU's sheaf hits into out[], and its sheaves' lock acquisitions
 * into *acq.
 */
static void pcs_stats(struct kmem_cache *s, unsigned int cpu,
		      unsigned long long *out, unsigned long long *acq)
{
	struct slub_percpu_sheaves *pcs = NULL;
	int tries;

	if (!holds_cpu_lock())
		pcs = pcs_lock_cpu_quiet(s, cpu);
	for (tries = 0; !pcs && tries < PCS_STATS_TRIES; tries++) {
		pcs = pcs_trylock_cpu(s, cpu);
		if (!pcs)
			sched_yield();
	}
	if (pcs) {
		out[PCS_ALLOC_ITEM] += pcs->stat_alloc;
		out[PCS_FREE_ITEM] += pcs->stat_free;
		*acq += pcs->lock_acq;
		pcs_unlock_cpu(pcs);
		return;
	}
	pcs = &s->cpu_sheaves[cpu];
	out[PCS_ALLOC_ITEM] += READ_ONCE(pcs->stat_alloc);
	out[PCS_FREE_ITEM] += READ_ONCE(pcs->stat_free);
	*acq += READ_ONCE(pcs->lock_acq);
}

/* every counter of s, and the acquisitions of its per-CPU locks */
static void cache_counters(struct kmem_cache *s,
			   unsigned long long out[NR_SLAB_STAT_ITEMS],
			   unsigned long long *cpu_lock_acq)
{
	unsigned int cpu, i;

	memset(out, 0, sizeof(unsigned long long) * NR_SLAB_STAT_ITEMS);
	*cpu_lock_acq = 0;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		for (i = 0; i < NR_SLAB_STAT_ITEMS; i++)
			out[i] += READ_ONCE(s->stats[cpu].v[i]);
		if (s->cpu_sheaves)
			pcs_stats(s, cpu, out, cpu_lock_acq);
		if (s->cpu_slab) {
			cpu_slab_fast_stats(s, cpu, &out[ALLOC_FASTPATH],
					    &out[FREE_FASTPATH]);
			*cpu_lock_acq += READ_ONCE(s->cpu_slab[cpu].lock_acq);
		}
	}
}

void kmem_cache_stats(struct kmem_cache *s,
		      unsigned long long out[NR_SLAB_STAT_ITEMS])
{
	unsigned long long acq;

	if (!s) {
		memset(out, 0, sizeof(unsigned long long) * NR_SLAB_STAT_ITEMS);
		return;
	}
	cache_counters(s, out, &acq);
}

static const char *const lock_class_names[NR_SLAB_LOCK_CLASSES] = {
	[SLAB_LOCK_LIST] = "list_lock",
	[SLAB_LOCK_BARN] = "barn_lock",
	[SLAB_LOCK_CPU] = "cpu_lock",
};

const char *slab_lock_class_name(enum slab_lock_class cls)
{
	if ((unsigned int)cls >= NR_SLAB_LOCK_CLASSES)
		return NULL;
	return lock_class_names[cls];
}

static void lock_stat_out(const struct lock_stat *st,
			  struct slab_lock_stat *out)
{
	out->acquired += st->acquired;
	out->contended += st->contended;
	out->wait_ns += st->wait_ns;
	out->trylock_failed += st->trylock_failed;
}

/* the lock classes of s, from counters already read (v, cpu_lock_acq) */
static void cache_locks(struct kmem_cache *s,
			const unsigned long long v[NR_SLAB_STAT_ITEMS],
			unsigned long long cpu_lock_acq,
			struct slab_lock_stat out[NR_SLAB_LOCK_CLASSES])
{
	struct lock_stat sum;
	unsigned int node;

	memset(out, 0, sizeof(*out) * NR_SLAB_LOCK_CLASSES);
	for (node = 0; node < nr_node_ids; node++) {
		sum = (struct lock_stat){ 0 };
		lock_stat_read(&s->node[node]->list_lock.stat, &sum);
		lock_stat_out(&sum, &out[SLAB_LOCK_LIST]);
		if (!s->barn[node])
			continue;
		sum = (struct lock_stat){ 0 };
		lock_stat_read(&s->barn[node]->lock.stat, &sum);
		lock_stat_out(&sum, &out[SLAB_LOCK_BARN]);
	}
	sum = (struct lock_stat){ 0 };
	lock_stat_read(&s->cpu_lock_remote, &sum);
	lock_stat_out(&sum, &out[SLAB_LOCK_CPU]);
	out[SLAB_LOCK_CPU].acquired += cpu_lock_acq;
	out[SLAB_LOCK_CPU].trylock_failed += v[PCS_TRYLOCK_FAIL];
}

void kmem_cache_lock_stats(struct kmem_cache *s,
			   struct slab_lock_stat out[NR_SLAB_LOCK_CLASSES])
{
	unsigned long long v[NR_SLAB_STAT_ITEMS], acq;

	memset(out, 0, sizeof(*out) * NR_SLAB_LOCK_CLASSES);
	if (!s)
		return;
	cache_counters(s, v, &acq);
	cache_locks(s, v, acq, out);
}

void slab_zone_lock_stat(struct slab_lock_stat *out)
{
	struct lock_stat sum = { 0 };

	memset(out, 0, sizeof(*out));
	slab_init_once();
	page_alloc_lock_stat(&sum);
	lock_stat_out(&sum, out);
}

long slab_cache_active(struct kmem_cache *s)
{
	unsigned long long v[NR_SLAB_STAT_ITEMS];

	kmem_cache_stats(s, v);
	return (long)(v[ALLOC_FASTPATH] + v[ALLOC_SLOWPATH] + v[ALLOC_PCS] +
		      v[ALLOC_FROM_SHEAF]) -
	       (long)(v[FREE_FASTPATH] + v[FREE_SLOWPATH] + v[FREE_PCS]);
}

void kmem_cache_info(struct kmem_cache *s, struct slab_cache_info *info)
{
	unsigned int i;

	memset(info, 0, sizeof(*info));
	if (!s)
		return;
	for (i = 0; i < nr_node_ids; i++) {
		info->objects += READ_ONCE(s->node[i]->total_objects);
		info->slabs += READ_ONCE(s->node[i]->nr_slabs);
	}
	info->active_objs = slab_cache_active(s);
	info->object_size = s->object_size;
	info->size = s->size;
	info->objs_per_slab = s->objects;
	info->order = s->order;
	info->sheaf_capacity = s->cpu_sheaves ? s->sheaf_capacity : 0;
}

long slab_live_objects(void)
{
	struct kmem_cache *s;
	long live;

	slab_init_once();
	nolock_drain_deferred(NULL);
	live = READ_ONCE(slab_large_live);
	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(s)
		live += slab_cache_active(s);
	pthread_mutex_unlock(&slab_mutex);
	return live;
}

unsigned long slab_leaked_objects(void)
{
	return READ_ONCE(slab_leaked_total);
}

/* ---- JSON ------------------------------------------------------------------ */
struct jbuf {
	char *buf;
	size_t len, pos;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void jprintf(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->pos, j->len - j->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->len - j->pos)
		j->overflow = true;
	else
		j->pos += n;
}

static void jstring(struct jbuf *j, const char *str)
{
	const unsigned char *p;

	jprintf(j, "\"");
	for (p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			jprintf(j, "\\%c", *p);
		else if (*p < 0x20)
			jprintf(j, "\\u%04x", *p);
		else
			jprintf(j, "%c", *p);
	}
	jprintf(j, "\"");
}

static const char *const feature_names[NR_SLAB_FEATURES] = {
#define SLAB_FEATURE_NAME(name, json, config)	[SLAB_FEAT_BIT_##name] = json,
	SLAB_FEATURES(SLAB_FEATURE_NAME)
#undef SLAB_FEATURE_NAME
};

static void json_lock(struct jbuf *j, const char *name,
		      const struct slab_lock_stat *l, bool first)
{
	const char *sep = "";

	jprintf(j, "%s\"%s\":{", first ? "" : ",", name);
#define LOCK_JSON(field, unit, better, what)				\
	jprintf(j, "%s\"" #field "\":%llu", sep, l->field);		\
	sep = ",";
	SLAB_LOCK_FIELDS(LOCK_JSON)
#undef LOCK_JSON
	jprintf(j, "}");
}

/*
 * "topology": nodes, the memoryless ones, each CPU's node, where it came
 * from (SLABSCALE_NODES/SLABSCALE_MEMORYLESS, or the machine's sysfs)
 */
static void json_topology(struct jbuf *j)
{
	unsigned int i;
	bool first = true;

	jprintf(j, "\"topology\":{\"source\":\"%s\",\"nodes\":%u,"
		"\"memoryless\":[", slab_topology_from_env() ? "option" :
		"machine", nr_node_ids);
	for (i = 0; i < nr_node_ids; i++)
		if (!node_has_memory(i)) {
			jprintf(j, "%s%u", first ? "" : ",", i);
			first = false;
		}
	jprintf(j, "],\"cpu_node\":[");
	for (i = 0; i < nr_cpu_ids; i++)
		jprintf(j, "%s%d", i ? "," : "", cpu_to_node(i));
	jprintf(j, "],\"mem_node\":[");
	for (i = 0; i < nr_node_ids; i++)
		jprintf(j, "%s%d", i ? "," : "", local_memory_node(i));
	jprintf(j, "]},\"caches\":[");
}

static void json_cache(struct jbuf *j, struct kmem_cache *s)
{
	unsigned long long v[NR_SLAB_STAT_ITEMS], acq;
	struct slab_lock_stat locks[NR_SLAB_LOCK_CLASSES];
	struct slab_cache_info info;
	unsigned int i;

	kmem_cache_info(s, &info);
	cache_counters(s, v, &acq);
	cache_locks(s, v, acq, locks);
	jprintf(j, "{\"name\":");
	jstring(j, s->name);
	jprintf(j, ",\"object_size\":%u,\"size\":%u,\"objs_per_slab\":%u,"
		"\"order\":%u,\"sheaf_capacity\":%u,\"objects\":%lu,"
		"\"active_objs\":%lu,\"slabs\":%lu,\"debug\":%s,\"stats\":{",
		info.object_size, info.size, info.objs_per_slab, info.order,
		info.sheaf_capacity, info.objects, info.active_objs,
		info.slabs, kmem_cache_debug(s) ? "true" : "false");
	for (i = 0; i < NR_SLAB_STAT_ITEMS; i++)
		jprintf(j, "%s\"%s\":%llu", i ? "," : "", stat_names[i], v[i]);
	jprintf(j, "},\"locks\":{");
	for (i = 0; i < NR_SLAB_LOCK_CLASSES; i++)
		json_lock(j, lock_class_names[i], &locks[i], !i);
	jprintf(j, "}}");
}

int slab_stats_json(char *buf, size_t len)
{
	struct jbuf j = { .buf = buf, .len = len };
	struct page_alloc_info pa;
	struct slab_lock_stat zone;
	struct kmem_cache *s;
	unsigned int i, feat = slab_features();
	bool first = true;

	if (!buf || !len)
		return -1;
	slab_init_once();
	page_alloc_info(&pa);
	jprintf(&j, "{\"variant\":\"%s\",\"features\":[", slab_variant());
	for (i = 0; i < NR_SLAB_FEATURES; i++)
		if (feat & (1u << i)) {
			jprintf(&j, "%s\"%s\"", first ? "" : ",",
				feature_names[i]);
			first = false;
		}
	jprintf(&j, "],\"percpu\":\"%s\","
		"\"nr_cpus\":%u,\"nr_nodes\":%u,"
		"\"live_objects\":%ld,\"leaked_objects\":%lu,"
		"\"pages\":{\"total\":%lu,\"free\":%lu,\"released\":%lu,"
		"\"used\":%lu},",
		slab_use_rseq ? "rseq" : "atomic",
		nr_cpu_ids, nr_node_ids, slab_live_objects(), slab_leaked_objects(), pa.total_pages,
		pa.free_pages, pa.released_pages, pa.slab_pages);
	json_topology(&j);
	first = true;
	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(s) {
		jprintf(&j, "%s", first ? "" : ",");
		json_cache(&j, s);
		first = false;
	}
	pthread_mutex_unlock(&slab_mutex);
	slab_zone_lock_stat(&zone);
	jprintf(&j, "],\"locks\":{");
	json_lock(&j, "zone_lock", &zone, true);
	jprintf(&j, "}}");
	if (j.overflow)
		return -1;
	return (int)j.pos;
}

void slab_dump_slabinfo(FILE *f)
{
	unsigned long long v[NR_SLAB_STAT_ITEMS], acq;
	struct slab_lock_stat l[NR_SLAB_LOCK_CLASSES], zone;
	struct slab_cache_info info;
	struct kmem_cache *s;

	if (!f)
		return;
	slab_init_once();
	fprintf(f, "slabinfo - slabscale %s (%s per-CPU)\n", slab_variant(),
		slab_use_rseq ? "rseq" : "atomic");
	fprintf(f, "# %-18s %10s %10s %7s %6s %5s %6s : %12s %12s %10s %10s "
		"%10s : %8s : %10s %8s %10s %8s\n", "name", "active_objs",
		"num_objs", "objsize", "objper", "order", "sheaf",
		"sheaf_hits", "slab_hits", "barn_get", "barn_put",
		"trylk_fail", "slabs", "list_lock", "contend", "barn_lock",
		"contend");
	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(s) {
		kmem_cache_info(s, &info);
		cache_counters(s, v, &acq);
		cache_locks(s, v, acq, l);
		fprintf(f, "%-20s %10lu %10lu %7u %6u %5u %6u : %12llu %12llu "
			"%10llu %10llu %10llu : %8lu : %10llu %8llu %10llu "
			"%8llu\n", s->name,
			info.active_objs, info.objects, info.object_size,
			info.objs_per_slab, info.order, info.sheaf_capacity,
			v[ALLOC_PCS] + v[FREE_PCS] +
			(s->cpu_slab ? 0 : v[ALLOC_FASTPATH] +
					   v[FREE_FASTPATH]),
			s->cpu_slab ? v[ALLOC_FASTPATH] + v[FREE_FASTPATH] : 0,
			v[BARN_GET], v[BARN_PUT], v[PCS_TRYLOCK_FAIL],
			info.slabs, l[SLAB_LOCK_LIST].acquired,
			l[SLAB_LOCK_LIST].contended, l[SLAB_LOCK_BARN].acquired,
			l[SLAB_LOCK_BARN].contended);
	}
	pthread_mutex_unlock(&slab_mutex);
	slab_zone_lock_stat(&zone);
	fprintf(f, "# zone_lock: acquired %llu contended %llu wait_ns %llu "
		"trylock_failed %llu\n", zone.acquired, zone.contended,
		zone.wait_ns, zone.trylock_failed);
}
