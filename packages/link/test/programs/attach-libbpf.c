// libbpf side of the attach-attribute test (attach-attributes.test.ts): opens and loads
// OBJECT, touches a marker path (so the trace shows where attaching starts), then attaches
// PROGRAM as its section says (bpf_program__attach), or, with `multi SYMBOLS COOKIES`
// (comma-separated), as a kprobe.multi on those functions with those cookies, or, with
// `cookie N`, as a BTF-typed tracing program with cookie N, or, with `netkit IFINDEX`, as
// a netkit program on that interface (libbpf 1.3+). A refused
// attach is expected on this kernel: it prints the error and exits 0.
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "/bpfkit-attach-marker"

static int split(char *list, char **items, int max)
{
	int count = 0;

	for (char *item = strtok(list, ","); item && count < max; item = strtok(NULL, ","))
		items[count++] = item;
	return count;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;

	if (argc != 3 && (argc != 6 || strcmp(argv[3], "multi")) &&
	    (argc != 5 || (strcmp(argv[3], "cookie") && strcmp(argv[3], "netkit")))) {
		fprintf(stderr, "usage: %s OBJECT PROGRAM [multi SYMBOLS COOKIES | cookie N | netkit IFINDEX]\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		return 1;
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog)
		return 1;
	close(open(MARKER, O_RDONLY));
	if (argc == 6) {
		char *symbols[64];
		__u64 cookies[64];
		char *texts[64];
		int count = split(argv[4], symbols, 64);
		LIBBPF_OPTS(bpf_kprobe_multi_opts, opts, .syms = (const char **)symbols, .cnt = count);

		if (split(argv[5], texts, 64) != count)
			return 2;
		for (int i = 0; i < count; i++)
			cookies[i] = strtoull(texts[i], NULL, 0);
		opts.cookies = cookies;
		link = bpf_program__attach_kprobe_multi_opts(prog, NULL, &opts);
	} else if (argc == 5 && !strcmp(argv[3], "netkit")) {
#if LIBBPF_MAJOR_VERSION > 1 || LIBBPF_MINOR_VERSION >= 3
		link = bpf_program__attach_netkit(prog, atoi(argv[4]), NULL);
#else
		link = NULL;
		errno = EOPNOTSUPP;
#endif
	} else if (argc == 5) {
		LIBBPF_OPTS(bpf_trace_opts, opts, .cookie = strtoull(argv[4], NULL, 0));

		link = bpf_program__attach_trace_opts(prog, &opts);
	} else {
		link = bpf_program__attach(prog);
	}
	printf("attach: %s\n", link ? "ok" : strerror(errno));
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
