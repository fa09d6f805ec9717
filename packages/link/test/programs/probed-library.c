// A shared library for the USDT tests: bpfkit_library_tick(i) fires the USDT probe
// bpfkit:tick (arguments: i and a constant, as in probed.c) from inside the library.
// Built by the tests as libprobed.so and loaded by probed-host.c.
#include <sys/sdt.h>

__attribute__((noinline)) int bpfkit_library_tick(int i)
{
	DTRACE_PROBE2(bpfkit, tick, i, 42);
	__asm__ volatile("" ::: "memory");
	return i + 1;
}
