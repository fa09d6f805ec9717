// SPDX-License-Identifier: GPL-2.0
// Reports every execve(2) system-wide from the syscalls/sys_enter_execve tracepoint: one
// ring buffer record per call, with the caller, the file and the first arguments.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ARG_COUNT 6
#define ARG_SIZE 48

/* One execve call; decoded by BTF on the TypeScript side. */
struct event {
	__u32 pid;
	__u32 uid;
	__u32 argc; /* arguments read (at most ARG_COUNT) */
	char comm[16];
	char filename[128];
	char argv[ARG_COUNT][ARG_SIZE];
};

/* Referenced only here, so that clang emits its BTF for the reader. */
const struct event *unused_event __attribute__((unused));

/* The tracepoint's record, as tracefs's events/syscalls/sys_enter_execve/format lays it out. */
struct sys_enter_execve {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int execve_enter(struct sys_enter_execve *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid();
	e->argc = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), ctx->filename) < 0)
		e->filename[0] = 0;
	for (int i = 0; i < ARG_COUNT; i++)
		e->argv[i][0] = 0;
	for (int i = 0; i < ARG_COUNT; i++) {
		const char *arg = 0;

		if (bpf_probe_read_user(&arg, sizeof(arg), &ctx->argv[i]) || !arg)
			break;
		if (bpf_probe_read_user_str(e->argv[i], ARG_SIZE, arg) < 0)
			break;
		e->argc++;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
