// The producer of the wake-up latency rows, the same code for libbpf's reader and bpfkit's:
// a thread of the reader's process, pinned to the CPU the row places it on (started here by the C harness, by bench/events.ts through
// koffi from this file built as a shared object) that runs the events fixture's produce_event
// once a millisecond for the timed runs (faster for the untimed warm-up). produce_event stamps its record (bpf_ktime_get_ns) and submits it with
// BPF_RB_FORCE_WAKEUP. After each run the thread sleeps at once: a woken reader is often placed
// on the producer's CPU, and then waits for whatever the producer does next.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

struct producer {
	int prog, count, pause_us, failed;
	pthread_t thread;
};

static struct producer running;

static void *produce(void *arg)
{
	struct producer *p = arg;
	__u64 args[1] = { 0 };
	struct timespec pause = { 0, p->pause_us * 1000L };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	for (int i = 0; i < p->count; i++) {
		nanosleep(&pause, NULL);
		args[0] = i;
		if (bpf_prog_test_run_opts(p->prog, &opts))
			p->failed = 1;
	}
	return NULL;
}

/*
 * Starts producing `count` events with program fd `prog`, one every `pause_us` µs (below
 * 1,000,000), on a thread pinned to `cpu`; 0, or -1 when no thread started.
 */
int start_event_producer(int prog, int count, int pause_us, int cpu)
{
	pthread_attr_t attr;
	cpu_set_t pinned;
	int failed;

	running = (struct producer){ .prog = prog, .count = count, .pause_us = pause_us };
	if (pthread_attr_init(&attr))
		return -1;
	CPU_ZERO(&pinned);
	CPU_SET(cpu, &pinned);
	failed = pthread_attr_setaffinity_np(&attr, sizeof(pinned), &pinned) ||
		 pthread_create(&running.thread, &attr, produce, &running);
	pthread_attr_destroy(&attr);
	return failed ? -1 : 0;
}

/* Waits for the producer to finish; 0, or -1 when a run failed. */
int join_event_producer(void)
{
	pthread_join(running.thread, NULL);
	return running.failed ? -1 : 0;
}
