// A process whose stack addresses a test resolves: prints the run-time address of its own
// function bpfkit_symbolized and of libc's getpid (through dlsym), then waits until its
// standard input closes. Built by the symbol tests (as PIE and as non-PIE).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int bpfkit_symbolized(int i)
{
	__asm__ volatile("" ::: "memory");
	return i * 3 + 1;
}

int main(void)
{
	char byte;

	printf("%p %p\n", (void *)bpfkit_symbolized, dlsym(RTLD_DEFAULT, "getpid"));
	fflush(stdout);
	while (read(0, &byte, 1) > 0)
		;
	return bpfkit_symbolized(0) == 1 ? 0 : 1;
}
