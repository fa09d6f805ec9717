// SPDX-License-Identifier: GPL-2.0
// Counts kill(2) calls per process from the syscalls/sys_enter_kill tracepoint.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* calls */
} kills SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_kill")
int count_kill(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *calls = bpf_map_lookup_elem(&kills, &tgid);

	if (calls)
		__sync_fetch_and_add(calls, 1);
	else
		bpf_map_update_elem(&kills, &tgid, &one, BPF_NOEXIST);
	return 0;
}

char _license[] SEC("license") = "GPL";
