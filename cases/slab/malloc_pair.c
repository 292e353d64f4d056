// SPDX-License-Identifier: GPL-2.0-only
/*
 * malloc_pair - slab_alloc_free's pair through a userspace malloc, so the
 * in-tree allocator and its peers are measured by the same harness.
 *
 * One iteration = one malloc() + free() (batch=N: N mallocs, then N frees
 * in reverse order, N iterations).  allocator= picks glibc, jemalloc,
 * tcmalloc or mimalloc (Debian's libjemalloc2, libtcmalloc-minimal4,
 * libmimalloc2.0).  The peers replace malloc process-wide through
 * LD_PRELOAD (jemalloc cannot be dlopen'd: "cannot allocate memory in
 * static TLS block"), so when the requested one is not loaded yet, the
 * runner re-executes itself at start-up with the same arguments and
 * LD_PRELOAD set (malloc_pair_preload below).  testcase_prepare() then
 * checks with dladdr() that malloc really is the peer's, says which
 * library it is on stderr and records the metric
 * malloc_from_<library soname> (e.g. malloc_from_libjemalloc_so_2 = 1).
 *
 * Parameters: allocator (glibc), size (64), batch (1).
 */
#include "slab_case.h"

#include <dlfcn.h>
#include <malloc.h>

char *testcase_description = "malloc+free pair through glibc, jemalloc, tcmalloc or mimalloc";

/* Set in the re-executed runner so that a preload that fails is noticed. */
#define PRELOAD_MARK	"SLABSCALE_MALLOC_PAIR_PRELOAD"

struct peer {
	const char *name;
	const char *soname;	/* NULL: glibc's own malloc */
	const char *package;
};

static const struct peer peers[] = {
	{ "glibc", NULL, "libc6" },
	{ "jemalloc", "libjemalloc.so.2", "libjemalloc2" },
	{ "tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4" },
	{ "mimalloc", "libmimalloc.so.2", "libmimalloc2.0" },
};

static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib",
};

static struct slab_case_acct baseline;
static void *(*pair_malloc)(size_t size);
static void (*pair_free)(void *ptr);
static unsigned long obj_size, batch;
static char lib_path[512], metric_name[64];

static const struct peer *find_peer(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		if (!strcmp(peers[i].name, name))
			return &peers[i];
	harness_param_error("allocator", "expected glibc, jemalloc, tcmalloc or mimalloc");
}

static bool find_lib(const struct peer *p, char *path, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		snprintf(path, len, "%s/%s", lib_dirs[i], p->soname);
		if (!access(path, R_OK))
			return true;
	}
	return false;
}

/* The object malloc() resolves to in this process. */
static const char *malloc_owner(void)
{
	Dl_info info;

	pair_malloc = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");
	pair_free = (void (*)(void *))dlsym(RTLD_DEFAULT, "free");
	if (!pair_malloc || !pair_free)
		harness_fail("dlsym(malloc/free): %s", dlerror());
	if (!dladdr((void *)pair_malloc, &info) || !info.dli_fname)
		harness_fail("dladdr(malloc) failed");
	return info.dli_fname;
}

/*
 * Start-up, before the harness's main(): when the command line asks for
 * this case with a peer allocator that is not loaded, exec the runner
 * again with the same arguments and the peer in LD_PRELOAD.  Doing it
 * here rather than in testcase_prepare() matters: prepare runs in a
 * process forked by the harness, which must not start over.  Only
 * "--param allocator=X" / "--param=allocator=X" next to the case name
 * "malloc_pair" triggers it; no other case reads that parameter, so a
 * runner started for anything else is never touched.
 */
static const char *wanted_peer(char **argv, int argc)
{
	const char *val = NULL;
	bool is_case = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "malloc_pair"))
			is_case = true;
		else if (!strcmp(argv[i], "--param") && i + 1 < argc &&
			 !strncmp(argv[i + 1], "allocator=", 10))
			val = argv[i + 1] + 10;
		else if (!strncmp(argv[i], "--param=allocator=", 18))
			val = argv[i] + 18;
	}
	return is_case ? val : NULL;
}

static int read_cmdline(char *buf, size_t len, char **argv, int max)
{
	size_t n, off;
	int argc = 0;
	FILE *f = fopen("/proc/self/cmdline", "r");

	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (off = 0; off < n && argc < max - 1; off += strlen(buf + off) + 1)
		argv[argc++] = buf + off;
	argv[argc] = NULL;
	return argc;
}

static void reexec_with(const char *lib, char **argv)
{
	char preload[2048], *old = getenv("LD_PRELOAD");

	snprintf(preload, sizeof(preload), "%s%s%s", lib,
		 old && *old ? ":" : "", old && *old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv(PRELOAD_MARK, lib, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "malloc_pair: re-exec with LD_PRELOAD=%s: %s\n",
		lib, strerror(errno));
}

__attribute__((constructor))
static void malloc_pair_preload(void)
{
	static char buf[1 << 16];
	static char *argv[1024];
	const struct peer *p = NULL;
	const char *want;
	char path[512];
	size_t i;
	int argc;

	if (getenv(PRELOAD_MARK)) {
		/* Re-executed: leave nothing for programs started later. */
		unsetenv("LD_PRELOAD");
		unsetenv(PRELOAD_MARK);
		return;
	}
	argc = read_cmdline(buf, sizeof(buf), argv, 1024);
	want = wanted_peer(argv, argc);
	for (i = 0; want && i < sizeof(peers) / sizeof(peers[0]); i++)
		if (!strcmp(peers[i].name, want))
			p = &peers[i];
	if (!p || !p->soname || strstr(malloc_owner(), p->soname))
		return;
	if (find_lib(p, path, sizeof(path)))
		reexec_with(path, argv);
	/* Not installed or exec failed: testcase_prepare() says why. */
}

static void check_glibc(const char *owner)
{
	if (!strstr(owner, "libc.so"))
		harness_fail("allocator=glibc but malloc comes from %s (LD_PRELOAD?)",
			     owner);
}

static void check_peer(const struct peer *p, const char *owner)
{
	char path[512];

	if (strstr(owner, p->soname))
		return;
	if (!find_lib(p, path, sizeof(path)))
		harness_fail("%s not found: install the Debian package %s (make deps)",
			     p->soname, p->package);
	harness_fail("malloc comes from %s, not %s: the runner re-executes itself with LD_PRELOAD=%s only when its command line has malloc_pair and --param allocator=%s",
		     owner, p->soname, path, p->name);
}

/* "libjemalloc.so.2" -> "malloc_from_libjemalloc_so_2" */
static void lib_metric(const char *owner)
{
	const char *base = strrchr(owner, '/');
	char *c;

	snprintf(metric_name, sizeof(metric_name), "malloc_from_%s",
		 base ? base + 1 : owner);
	for (c = metric_name; *c; c++)
		if (*c == '.' || *c == '-')
			*c = '_';
	harness_record(harness_metric(metric_name, HARNESS_MAX | HARNESS_ALWAYS,
				      "bool"), 1);
}

void testcase_prepare(unsigned long nr_tasks)
{
	const struct peer *p;
	const char *owner;
	void *probe;

	(void)nr_tasks;
	p = find_peer(harness_param("allocator", "glibc"));
	obj_size = slab_case_param_range("size", 64, 1, 1ul << 30);
	batch = slab_case_param_range("batch", 1, 1, 1 << 20);

	owner = malloc_owner();
	if (p->soname)
		check_peer(p, owner);
	else
		check_glibc(owner);
	snprintf(lib_path, sizeof(lib_path), "%s", owner);
	probe = pair_malloc(obj_size);
	harness_warn("malloc is %s's, from %s (usable size of %lu bytes: %zu)",
		     p->name, lib_path, obj_size, malloc_usable_size(probe));
	pair_free(probe);
	lib_metric(owner);
	slab_case_acct_begin(&baseline);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	unsigned long rounds = batch >= 64 ? 1 : 64 / batch;
	void **objs = calloc(batch, sizeof(*objs));
	unsigned long r, i;

	(void)nr;
	if (!objs)
		harness_fail("out of memory");
	while (!harness_should_stop()) {
		for (r = 0; r < rounds; r++) {
			for (i = 0; i < batch; i++) {
				objs[i] = pair_malloc(obj_size);
				if (!objs[i])
					harness_fail("malloc(%lu) failed", obj_size);
				*(volatile char *)objs[i] = 1;
			}
			for (i = batch; i-- > 0;)
				pair_free(objs[i]);
			*iterations += batch;
		}
	}
	free(objs);
	if (harness_processes_mode())
		slab_case_acct_check(&baseline, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_acct_check(&baseline, "cleanup");
}
