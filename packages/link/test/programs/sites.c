// A user-space program for the probed-binary tests: the USDT probe bpfkit:pair fires at
// two sites whose argument specs differ (a register and a constant, then a constant and a
// register), so one attach writes two specs; `sites N` fires the first site N times and
// the second once. bpfkit_entry and its alias bpfkit_alias share one address.
#include <stdlib.h>
#include <sys/sdt.h>

__attribute__((noinline)) int bpfkit_entry(int i)
{
	DTRACE_PROBE2(bpfkit, pair, i, 42);
	__asm__ volatile("" ::: "memory");
	return i + 1;
}

int bpfkit_alias(int i) __attribute__((alias("bpfkit_entry")));

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int sum = 0;

	for (int i = 0; i < n; i++)
		sum += bpfkit_entry(i);
	DTRACE_PROBE2(bpfkit, pair, 100, n);
	return sum == -1;
}
