// A long-running PIE executable for the USDT tests that probe one process by address: it
// links libprobed.so (probed-library.c) and prints "ready" once started; then for each
// line "exec N" or "library N" on its standard input it fires the USDT probe bpfkit:tick
// of the executable or of the library N times (arguments: the call number and 42) and
// prints "fired". It exits when its standard input closes.
#include <stdio.h>
#include <string.h>
#include <sys/sdt.h>

int bpfkit_library_tick(int i);

__attribute__((noinline)) int bpfkit_host_tick(int i)
{
	DTRACE_PROBE2(bpfkit, tick, i, 42);
	__asm__ volatile("" ::: "memory");
	return i + 1;
}

int main(void)
{
	char where[16];
	int n, sum = 0;

	printf("ready\n");
	fflush(stdout);
	while (scanf("%15s %d", where, &n) == 2) {
		for (int i = 0; i < n; i++)
			sum += strcmp(where, "library") == 0 ? bpfkit_library_tick(i) : bpfkit_host_tick(i);
		printf("fired\n");
		fflush(stdout);
	}
	return sum < 0;
}
