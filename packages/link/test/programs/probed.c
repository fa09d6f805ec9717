// A user-space program for the uprobe and USDT tests: `probed N` calls bpfkit_target N
// times and bpfkit_weak once; every call of bpfkit_target also fires the USDT probe
// bpfkit:tick (arguments: the call number and a constant) and, once per run, the probe
// bpfkit:done guarded by a semaphore (exit status 3 when a tracer raised it). Built by the tests (as PIE and as non-PIE).
#define _SDT_HAS_SEMAPHORES 1
#include <stdlib.h>
#include <sys/sdt.h>

unsigned short bpfkit_tick_semaphore __attribute__((section(".probes")));
unsigned short bpfkit_done_semaphore __attribute__((section(".probes")));

__attribute__((noinline)) int bpfkit_target(int i)
{
	DTRACE_PROBE2(bpfkit, tick, i, 42);
	__asm__ volatile("" ::: "memory");
	return i + 1;
}

__attribute__((noinline, weak)) int bpfkit_weak(int i)
{
	__asm__ volatile("" ::: "memory");
	return i;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int sum = 0;

	for (int i = 0; i < n; i++)
		sum += bpfkit_target(i);
	sum += bpfkit_weak(sum);
	if (bpfkit_done_semaphore) {
		DTRACE_PROBE1(bpfkit, done, sum);
		return 3; /* tells the test the semaphore was raised */
	}
	return 0;
}
