// libbpf side of the link rows of `npm run bench` (bench/link.ts): the time to attach a
// usdt program to every probe of a binary (bpf_program__attach_usdt per probe) and, when
// built against a libbpf that has it (-DHAVE_UPROBE_MULTI, libbpf 1.3+), one uprobe.multi
// link to every function a glob matches (bpf_program__attach_uprobe_multi). Prints one
// JSON line with the median and every sample in ns, wall time (samples_ns) and the CPU time
// of the process over the same span (cpu_samples_ns: getrusage user + system, every thread),
// which bench/link.ts pools from several runs interleaved with its own.
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* User plus system CPU time of the process so far (getrusage, µs resolution), what Node's process.cpuUsage reads. */
static long long cpu_ns(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL +
	       (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int silent(enum libbpf_print_level level, const char *format, va_list args)
{
	return 0;
}

/* Opens and loads `path`, returning the program called `name`. */
static struct bpf_program *loaded(const char *path, const char *name, struct bpf_object **obj)
{
	*obj = bpf_object__open_file(path, NULL);
	if (!*obj || bpf_object__load(*obj))
		return NULL;
	return bpf_object__find_program_by_name(*obj, name);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[4096];
	struct bpf_object *obj;
	struct bpf_program *prog;
	long long *samples, *cpu_samples;
	int count, probes;

	if (argc < 6) {
		fprintf(stderr, "usage: %s usdt-all|uprobe-multi OBJ BINARY PROBES|PATTERN COUNT\n", argv[0]);
		return 2;
	}
	libbpf_set_print(silent);
	count = atoi(argv[5]);
	samples = calloc(count, sizeof(*samples));
	cpu_samples = calloc(count, sizeof(*cpu_samples));
	if (!strcmp(argv[1], "usdt-all")) {
		probes = atoi(argv[4]);
		prog = loaded(argv[2], "on_tick", &obj);
		if (!prog || probes > 4096)
			return 1;
		for (int round = 0; round < count; round++) {
			long long start = now_ns(), cpu_start = cpu_ns();
			char name[32];

			for (int i = 0; i < probes; i++) {
				snprintf(name, sizeof(name), "p%d", i);
				links[i] = bpf_program__attach_usdt(prog, -1, argv[3], "bench", name, NULL);
				if (!links[i])
					return 1;
			}
			samples[round] = now_ns() - start;
			cpu_samples[round] = cpu_ns() - cpu_start;
			for (int i = 0; i < probes; i++)
				bpf_link__destroy(links[i]);
		}
	} else if (!strcmp(argv[1], "uprobe-multi")) {
#ifdef HAVE_UPROBE_MULTI
		prog = loaded(argv[2], "on_uprobe_multi", &obj);
		if (!prog)
			return 1;
		for (int round = 0; round < count; round++) {
			long long start = now_ns(), cpu_start = cpu_ns();

			links[0] = bpf_program__attach_uprobe_multi(prog, -1, argv[3], argv[4], NULL);
			samples[round] = now_ns() - start;
			cpu_samples[round] = cpu_ns() - cpu_start;
			if (!links[0])
				return 1;
			bpf_link__destroy(links[0]);
		}
#else
		printf("{\"unavailable\":\"this libbpf has no bpf_program__attach_uprobe_multi (1.3+)\"}\n");
		return 0;
#endif
	} else {
		return 2;
	}
	qsort(samples, count, sizeof(*samples), compare);
	qsort(cpu_samples, count, sizeof(*cpu_samples), compare);
	printf("{\"median_ns\":%lld,\"samples_ns\":[", samples[count / 2]);
	for (int round = 0; round < count; round++)
		printf("%s%lld", round ? "," : "", samples[round]);
	printf("],\"cpu_samples_ns\":[");
	for (int round = 0; round < count; round++)
		printf("%s%lld", round ? "," : "", cpu_samples[round]);
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}
