// SPDX-License-Identifier: GPL-2.0
// Watches kill(2) from the syscalls/sys_enter_kill tracepoint, for a TypeScript tool written
// on a generated skeleton (kill-watch.skel.ts): a const volatile filter set at open, a .bss
// counter, a .bss array and a .data switch shared live with user space, and a ring buffer of
// typed events.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The tracepoint's record (see /sys/kernel/tracing/events/syscalls/sys_enter_kill/format). */
struct sys_enter_kill_args {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 pid;
	__u64 sig;
};

struct kill_event {
	__u32 sender_tgid;
	__s32 target_pid;
	__s32 sig;
	char comm[16];
};

/* Makes clang emit the record's BTF, so the skeleton can type the ring buffer's records. */
const struct kill_event *unused_kill_event __attribute__((unused));

/* Only calls made by this process (0: every process); set through the skeleton's open(). */
const volatile __u32 only_tgid = 0;

/* Calls seen; user space reads it straight from the mapped .bss. */
__u64 kills_seen = 0;
/* Calls seen per signal number (0 to 31); user space reads an element in place. */
__u32 by_signal[32];
/* While false, calls are neither counted nor sent; user space flips it in the mapped .data. */
_Bool enabled = 1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_kill")
int watch_kill(struct sys_enter_kill_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!enabled || (only_tgid != 0 && tgid != only_tgid))
		return 0;
	__sync_fetch_and_add(&kills_seen, 1);
	if (ctx->sig < 32)
		__sync_fetch_and_add(&by_signal[ctx->sig], 1);
	struct kill_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->sender_tgid = tgid;
	e->target_pid = (__s32)ctx->pid;
	e->sig = (__s32)ctx->sig;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
