// libbpf's side of `npm run bench`: times the same operations bpfkit is timed on, on
// the same inputs, with CLOCK_MONOTONIC, and prints one JSON line per figure.
// Built by bench/run.ts with the system compiler against Debian's libbpf-dev.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "events-producer.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *figure, long long *samples, int count)
{
	qsort(samples, count, sizeof(*samples), compare);
	printf("{\"figure\":\"%s\",\"median_ns\":%lld,\"samples\":%d}\n", figure, samples[count / 2], count);
}

static long resident_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	if (f)
		fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

/* Parses BTF `count` times, optionally finding struct task_struct each time. */
static int time_btf(const char *figure, const char *path, int count, int find)
{
	long long *samples = calloc(count, sizeof(*samples));

	for (int i = -3; i < count; i++) {
		long long start = now_ns();
		struct btf *btf = btf__parse(path, NULL);

		if (!btf) {
			fprintf(stderr, "btf__parse(%s) failed\n", path);
			return 1;
		}
		if (find && btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
			fprintf(stderr, "task_struct not found in %s\n", path);
			return 1;
		}
		btf__free(btf);
		if (i >= 0)
			samples[i] = now_ns() - start;
	}
	report(figure, samples, count);
	free(samples);
	return 0;
}

/* Resident memory a parsed BTF keeps, measured around one btf__parse. */
static int btf_memory(const char *path)
{
	long before = resident_bytes();
	struct btf *btf = btf__parse(path, NULL);

	if (!btf)
		return 1;
	printf("{\"figure\":\"btf-memory\",\"bytes\":%ld}\n", resident_bytes() - before);
	btf__free(btf);
	return 0;
}

/* Per-call cost of BPF_MAP_LOOKUP_ELEM (or UPDATE) on a 1-entry array: the syscall floor. */
static int time_map_calls(const char *figure, int count, int update)
{
	long long samples[7];
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench", 4, 8, 1, NULL);
	__u32 key = 0;
	__u64 value = 0;

	if (fd < 0)
		return 1;
	for (int round = -1; round < 7; round++) {
		long long start = now_ns();

		for (int i = 0; i < count; i++) {
			if (update)
				bpf_map_update_elem(fd, &key, &value, 0);
			else
				bpf_map_lookup_elem(fd, &key, &value);
		}
		if (round >= 0)
			samples[round] = (now_ns() - start) / count;
	}
	close(fd);
	report(figure, samples, 7);
	return 0;
}

/* bpf_object__open_file + close, or open + load + close, on one object. */
static int time_object(const char *figure, const char *path, int count, int load)
{
	long long *samples = calloc(count, sizeof(*samples));

	for (int i = -2; i < count; i++) {
		long long start = now_ns();
		struct bpf_object *obj = bpf_object__open_file(path, NULL);

		if (!obj) {
			fprintf(stderr, "bpf_object__open_file(%s) failed\n", path);
			return 1;
		}
		if (load && bpf_object__load(obj)) {
			fprintf(stderr, "bpf_object__load(%s) failed\n", path);
			return 1;
		}
		bpf_object__close(obj);
		if (i >= 0)
			samples[i] = now_ns() - start;
	}
	report(figure, samples, count);
	free(samples);
	return 0;
}

/*
 * The process's first bpf_object__open_file + load of `path`, timed from here (the cold-start
 * figure: bench/run.ts starts a fresh process for each sample). The object stays open, as
 * bpfkit's side times it.
 */
static int time_first_load(const char *path)
{
	long long start = now_ns();
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", path);
		return 1;
	}
	long long spent = now_ns() - start;

	bpf_object__close(obj);
	printf("{\"figure\":\"first-load\",\"median_ns\":%lld,\"samples\":1}\n", spent);
	return 0;
}

/* Ten objects from one file opened and loaded in one process, all alive at once, then closed: one sample. */
static int time_ten_objects(const char *path, int count)
{
	long long *samples = calloc(count, sizeof(*samples));
	struct bpf_object *objs[10];

	for (int i = -1; i < count; i++) {
		long long start = now_ns();

		for (int n = 0; n < 10; n++) {
			objs[n] = bpf_object__open_file(path, NULL);
			if (!objs[n] || bpf_object__load(objs[n])) {
				fprintf(stderr, "loading %s failed\n", path);
				return 1;
			}
		}
		for (int n = 0; n < 10; n++)
			bpf_object__close(objs[n]);
		if (i >= 0)
			samples[i] = now_ns() - start;
	}
	report("ten-objects", samples, count);
	free(samples);
	return 0;
}

static int count_record(void *ctx, void *data, size_t size)
{
	*(long *)ctx += 1;
	return 0;
}

/*
 * What the perf buffer callbacks add up: the samples, their first u32 (each sample's
 * sequence number, so that the callback reads the data, as bpfkit's row does), and the
 * samples the kernel reported lost (bpfkit's reader counts PERF_RECORD_LOST too).
 */
struct perf_totals {
	long samples;
	unsigned long long first_words;
	unsigned long long lost;
};

static void count_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct perf_totals *totals = ctx;

	totals->samples++;
	totals->first_words += *(__u32 *)data;
}

static void count_lost(void *ctx, int cpu, __u64 lost)
{
	((struct perf_totals *)ctx)->lost += lost;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Records per second drained by ring_buffer__poll: the events fixture's producer fills the
 * ring with `size`-byte records, then only the drain is timed; reports the median over
 * `rounds` fills of the time per record drained (a median, as a fill preempted on a busy
 * machine would otherwise weigh on a mean).
 */
static int time_ring(const char *figure, const char *path, int rounds, int size)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	double *samples = calloc(rounds, sizeof(*samples));
	long records = 0, seen = 0;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", path);
		return 1;
	}
	int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce"));
	int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "events"));
	/* As many records as fit in the ring's 16 KiB. */
	__u64 args[5] = { 16384 / ((size + 8 + 7) / 8 * 8), size, 0, 0, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	struct ring_buffer *rb = ring_buffer__new(map, count_record, &seen, NULL);

	if (!rb) {
		fprintf(stderr, "creating the ring buffer failed\n");
		return 1;
	}
	for (int i = -3; i < rounds; i++) {
		if (bpf_prog_test_run_opts(prog, &opts))
			return 1;
		long before = seen;
		long long start = now_ns();
		int n = ring_buffer__poll(rb, 0);
		long long spent = now_ns() - start;

		if (n < 0 || seen == before)
			return 1;
		if (i >= 0) {
			samples[i] = (double)spent / (seen - before);
			records += seen - before;
		}
	}
	qsort(samples, rounds, sizeof(*samples), compare_double);
	printf("{\"figure\":\"%s\",\"median_ns\":%.3f,\"samples\":%ld}\n", figure, samples[rounds / 2], records);
	free(samples);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}

/*
 * The perf buffer rows' setup, the same as bench/events.ts's: PERF_PAGES data pages a CPU,
 * filled by one run of the fixture's `sample` program before each timed drain (as many
 * samples as fit: nothing is lost), after PERF_WARM_UP untimed drains.
 */
#define PERF_PAGES 32
#define PERF_WARM_UP 10

/* The highest-numbered CPU this thread may run on (bench/events.ts picks the same), or -1. */
static int last_allowed_cpu(void)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -1;
	for (int cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--)
		if (CPU_ISSET(cpu, &allowed))
			return cpu;
	return -1;
}

/*
 * Samples per second drained by perf_buffer__poll (or perf_buffer__consume when `consume`):
 * this thread is pinned to the last CPU it may run on, and the fills run there too
 * (BPF_F_TEST_RUN_ON_CPU), so that every drain reads samples its own CPU just wrote. Before
 * each timed drain, a fill writes `size`-byte samples into that CPU's ring; only the drain
 * is timed. Reports the median time per sample over `rounds` drains, the samples
 * drained, the samples lost, and the CPU.
 */
static int time_perf(const char *figure, const char *path, int rounds, int size, int consume)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	double *samples = calloc(rounds, sizeof(*samples));
	struct perf_totals totals = { 0 };
	long records = 0;
	int cpu = last_allowed_cpu();
	cpu_set_t pinned;

	CPU_ZERO(&pinned);
	CPU_SET(cpu, &pinned);
	if (cpu < 0 || sched_setaffinity(0, sizeof(pinned), &pinned)) {
		fprintf(stderr, "pinning to CPU %d failed\n", cpu);
		return 1;
	}
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", path);
		return 1;
	}
	int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "sample"));
	int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "samples"));
	/* A sample takes its size, its u32 size field and an 8-byte header, rounded up to 8. */
	int span = (size + 12 + 7) / 8 * 8;
	/* The kernel keeps a ring at most one byte short of full. */
	__u64 per_fill = (PERF_PAGES * sysconf(_SC_PAGESIZE) - 1) / span;
	__u64 args[3] = { per_fill, size, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args),
		    .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
	struct perf_buffer *pb = perf_buffer__new(map, PERF_PAGES, count_sample, count_lost, &totals, NULL);

	if (!pb) {
		fprintf(stderr, "creating the perf buffer failed\n");
		return 1;
	}
	for (int i = -PERF_WARM_UP; i < rounds; i++) {
		if (bpf_prog_test_run_opts(prog, &opts) || opts.retval != per_fill)
			return 1;
		long before = totals.samples;
		long long start = now_ns();
		int n = consume ? perf_buffer__consume(pb) : perf_buffer__poll(pb, 0);
		long long spent = now_ns() - start;

		if (n < 0 || totals.samples == before)
			return 1;
		if (i >= 0) {
			samples[i] = (double)spent / (totals.samples - before);
			records += totals.samples - before;
		}
	}
	qsort(samples, rounds, sizeof(*samples), compare_double);
	printf("{\"figure\":\"%s\",\"median_ns\":%.3f,\"samples\":%ld,\"lost\":%llu,\"cpu\":%d}\n", figure,
	       samples[rounds / 2], records, totals.lost, cpu);
	free(samples);
	perf_buffer__free(pb);
	bpf_object__close(obj);
	return 0;
}

struct latency {
	int prog, count, seen;
	long long *samples;
};

/* The event's stamp (bpf_ktime_get_ns, CLOCK_MONOTONIC) to now: producer to callback. */
static int time_record(void *ctx, void *data, size_t size)
{
	struct latency *l = ctx;
	__u64 stamp = *(__u64 *)((char *)data + 8);

	if (l->samples && l->seen < l->count)
		l->samples[l->seen] = now_ns() - (long long)stamp;
	l->seen++;
	return 0;
}

/*
 * Untimed wake-ups before the timed ones: runs of WAKEUP_WARM_UP_COUNT, one every
 * WAKEUP_WARM_UP_PAUSE_US µs (bench/events.ts runs the same). A run fits the ring (409
 * records), so no record is lost when the reader falls behind.
 */
#define WAKEUP_WARM_UP_RUNS 20
#define WAKEUP_WARM_UP_COUNT 250
#define WAKEUP_WARM_UP_PAUSE_US 50

/* Where the wake-up rows place the producer thread: on the reader's CPU, or on another. */
enum placement { SAME_CPU, OTHER_CPU };

/* The lowest-numbered CPU this thread may run on other than `cpu`, or -1. */
static int other_allowed_cpu(int cpu)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -1;
	for (int other = 0; other < CPU_SETSIZE; other++)
		if (other != cpu && CPU_ISSET(other, &allowed))
			return other;
	return -1;
}

/*
 * Has the producer thread run produce_event `count` times, one every `pause_us` µs, on
 * `cpu`, and reads each record as it comes (into l->samples when set); 0, or 1 when a run
 * failed.
 */
static int run_wakeups(struct ring_buffer *rb, struct latency *l, int count, int pause_us, int cpu)
{
	l->count = count;
	l->seen = 0;
	if (start_event_producer(l->prog, count, pause_us, cpu))
		return 1;
	while (l->seen < count)
		if (ring_buffer__poll(rb, 1000) < 0)
			return 1;
	return join_event_producer() ? 1 : 0;
}

/*
 * Wake-up latency: the events fixture's produce_event, run by the producer thread once a
 * millisecond (events-producer.c, bpfkit's row runs the same), writes a stamped record with
 * BPF_RB_FORCE_WAKEUP; ring_buffer__poll waits (blocking) and the callback takes now minus
 * the stamp. This thread (the reader) is pinned to the last CPU it may run on and the
 * producer to the same CPU or another one, as `placement` says (bench/events.ts places
 * bpfkit's reader and the producer alike). Reports the median, after the untimed warm-up
 * runs, and both CPUs.
 */
static int time_wakeup(const char *figure, const char *path, int count, enum placement placement)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	long long *samples = calloc(count, sizeof(long long));
	struct latency l = { 0 };
	int reader = last_allowed_cpu();
	int producer = placement == SAME_CPU ? reader : other_allowed_cpu(reader);
	cpu_set_t pinned;

	CPU_ZERO(&pinned);
	CPU_SET(reader, &pinned);
	if (reader < 0 || producer < 0 || sched_setaffinity(0, sizeof(pinned), &pinned)) {
		fprintf(stderr, "placing the reader on CPU %d, the producer on CPU %d failed\n", reader, producer);
		return 1;
	}
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", path);
		return 1;
	}
	l.prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce_event"));
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
						  time_record, &l, NULL);

	if (!rb)
		return 1;
	for (int run = 0; run < WAKEUP_WARM_UP_RUNS; run++)
		if (run_wakeups(rb, &l, WAKEUP_WARM_UP_COUNT, WAKEUP_WARM_UP_PAUSE_US, producer))
			return 1;
	l.samples = samples;
	if (run_wakeups(rb, &l, count, 1000, producer))
		return 1;
	qsort(samples, count, sizeof(*samples), compare);
	printf("{\"figure\":\"%s\",\"median_ns\":%lld,\"samples\":%d,\"cpu\":%d,\"producer_cpu\":%d}\n", figure,
	       samples[count / 2], count, reader, producer);
	free(samples);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s btf-open-find|btf-parse|btf-memory|object-open|object-load|ten-objects|first-load PATH [COUNT]\n"
				"       %s map-lookup|map-update - COUNT\n", argv[0], argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "first-load")) {
		libbpf_set_print(NULL);
		return time_first_load(argv[2]);
	}
	libbpf_set_print(NULL);
	int count = argc > 3 ? atoi(argv[3]) : 50;

	if (!strcmp(argv[1], "map-lookup"))
		return time_map_calls("map-lookup", count, 0);
	if (!strcmp(argv[1], "map-update"))
		return time_map_calls("map-update", count, 1);
	if (!strcmp(argv[1], "object-open"))
		return time_object("object-open", argv[2], count, 0);
	if (!strcmp(argv[1], "object-load"))
		return time_object("object-load", argv[2], count, 1);
	if (!strcmp(argv[1], "ten-objects"))
		return time_ten_objects(argv[2], count);

	if (!strcmp(argv[1], "ringbuf-wakeup-same-cpu"))
		return time_wakeup(argv[1], argv[2], count, SAME_CPU);
	if (!strcmp(argv[1], "ringbuf-wakeup-other-cpu"))
		return time_wakeup(argv[1], argv[2], count, OTHER_CPU);
	if (!strncmp(argv[1], "ringbuf-", 8))
		return time_ring(argv[1], argv[2], count, atoi(argv[1] + 8));
	if (!strncmp(argv[1], "perfbuf-consume-", 16))
		return time_perf(argv[1], argv[2], count, atoi(argv[1] + 16), 1);
	if (!strncmp(argv[1], "perfbuf-", 8))
		return time_perf(argv[1], argv[2], count, atoi(argv[1] + 8), 0);
	if (!strcmp(argv[1], "btf-open-find"))
		return time_btf("btf-open-find", argv[2], count, 1);
	if (!strcmp(argv[1], "btf-parse"))
		return time_btf("btf-parse", argv[2], count, 0);
	if (!strcmp(argv[1], "btf-memory"))
		return btf_memory(argv[2]);
	fprintf(stderr, "unknown figure %s\n", argv[1]);
	return 2;
}
