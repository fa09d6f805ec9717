// SPDX-License-Identifier: GPL-2.0
// Per-tenant packet counters behind one HASH_OF_MAPS: each tenant's counters are their own
// ARRAY map, and the outer map's slots are filled declaratively — libbpf's BTF-defined
// map-in-map. The program counts a packet in the table of `current_tenant`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct tenant_counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2); /* [0] packets, [1] bytes */
	__type(key, __u32);
	__type(value, __u64);
} acme SEC(".maps"), globex SEC(".maps"), initech SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32); /* tenant id */
	__array(values, struct tenant_counters);
} tenants SEC(".maps") = {
	.values = {
		[1] = &acme,
		[2] = &globex,
		[7] = &initech,
	},
};

__u32 current_tenant = 1;

SEC("xdp")
int count_tenant(struct xdp_md *ctx)
{
	__u32 tenant = current_tenant, packets = 0, bytes = 1;
	__u64 *value;
	void *table = bpf_map_lookup_elem(&tenants, &tenant);

	if (!table)
		return XDP_DROP; /* unknown tenant */
	value = bpf_map_lookup_elem(table, &packets);
	if (value)
		__sync_fetch_and_add(value, 1);
	value = bpf_map_lookup_elem(table, &bytes);
	if (value)
		__sync_fetch_and_add(value, ctx->data_end - ctx->data);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
