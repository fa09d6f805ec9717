// SPDX-License-Identifier: GPL-2.0
// A dispatcher that tail-calls into handlers through a PROG_ARRAY whose slots are filled
// declaratively: packet byte 0 picks the handler.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int handle_drop(struct xdp_md *ctx);
int handle_pass(struct xdp_md *ctx);
int handle_count(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} handlers SEC(".maps") = {
	.values = {
		[0] = (void *)&handle_drop,
		[1] = (void *)&handle_pass,
		[2] = (void *)&handle_count,
	},
};

__u64 counted = 0;

SEC("xdp")
int handle_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int handle_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int handle_count(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&counted, 1);
	return XDP_PASS;
}

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 selector;

	if (data + 1 > end)
		return XDP_ABORTED;
	selector = *(__u8 *)data;
	bpf_tail_call(ctx, &handlers, selector);
	return XDP_ABORTED; /* empty slot */
}

char _license[] SEC("license") = "GPL";
