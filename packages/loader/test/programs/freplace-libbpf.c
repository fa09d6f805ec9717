// libbpf side of the freplace comparison in load-attributes.test.ts: loads the fixture's
// socket filter, then the same object's freplace program against the filter's `verdict`
// (bpf_program__set_attach_target), and attaches it if the kernel loads it. Prints what the
// kernel answered; exits 0 either way, as strace's log is what the test reads.
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct bpf_object *target, *ext;
	struct bpf_program *filter, *keep_all;
	struct bpf_link *link;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FREPLACE_OBJECT\n", argv[0]);
		return 2;
	}
	target = bpf_object__open_file(argv[1], NULL);
	if (!target || bpf_object__load(target))
		return 1;
	filter = bpf_object__find_program_by_name(target, "filter");
	ext = bpf_object__open_file(argv[1], NULL);
	if (!filter || !ext)
		return 1;
	keep_all = bpf_object__find_program_by_name(ext, "keep_all");
	bpf_program__set_autoload(bpf_object__find_program_by_name(ext, "filter"), false);
	bpf_program__set_autoload(keep_all, true);
	bpf_program__set_attach_target(keep_all, bpf_program__fd(filter), "verdict");
	err = bpf_object__load(ext);
	printf("load: %s\n", err ? strerror(-err) : "ok");
	if (!err) {
		link = bpf_program__attach_freplace(keep_all, bpf_program__fd(filter), "verdict");
		printf("attach: %s\n", link ? "ok" : strerror(errno));
		bpf_link__destroy(link);
	}
	bpf_object__close(ext);
	bpf_object__close(target);
	return 0;
}
