// A libbpf side for `npm run compat` (BPFKIT_COMPAT_LOADER): opens and loads OBJECT as an
// application would (programs whose section starts with '?' stay off, as libbpf decides),
// then pins each loaded program under PIN_DIR by its name, for the translated instructions
// to be compared. Maps pinned by name go under PIN_DIR-maps, never /sys/fs/bpf. libbpf's
// messages go to stderr; the exit status is 0 only when everything loaded. For each arena it
// prints `arena NAME ADDRESS SIZE` (hex address, bytes) on stdout: where libbpf mapped it,
// the user address the verifier wrote into the programs, so that it can be normalised.
// Build against any libbpf: cc -O2 -o compat-libbpf scripts/compat-libbpf.c -lbpf
// (or -I<libbpf>/include ... <libbpf>/libbpf.a -lelf -lz for one built from source).
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* BPF_MAP_TYPE_ARENA, newer than some UAPI headers this builds against. */
#define MAP_TYPE_ARENA 33

static int print(enum libbpf_print_level level, const char *format, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, format, args);
}

int main(int argc, char **argv)
{
	char path[4096];
	struct bpf_object *object;
	struct bpf_program *program;
	struct bpf_map *map;
	size_t size;
	const void *start;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJECT PIN_DIR\n", argv[0]);
		return 2;
	}
	libbpf_set_print(print);
	if (mkdir(argv[2], 0700) != 0 || snprintf(path, sizeof(path), "%s-maps", argv[2]) >= (int)sizeof(path) ||
	    mkdir(path, 0700) != 0) {
		perror("compat-libbpf: mkdir");
		return 1;
	}
	LIBBPF_OPTS(bpf_object_open_opts, options, .pin_root_path = path);
	object = bpf_object__open_file(argv[1], &options);
	if (!object) {
		fprintf(stderr, "compat-libbpf: open failed: %d\n", -errno);
		return 1;
	}
	err = bpf_object__load(object);
	if (err) {
		fprintf(stderr, "compat-libbpf: load failed: %d\n", err);
		bpf_object__close(object);
		return 1;
	}
	bpf_object__for_each_map(map, object) {
		if (bpf_map__type(map) != MAP_TYPE_ARENA || !(start = bpf_map__initial_value(map, &size)))
			continue;
		printf("arena %s %#lx %lu\n", bpf_map__name(map), (unsigned long)start,
		       (unsigned long)bpf_map__max_entries(map) * (unsigned long)sysconf(_SC_PAGESIZE));
	}
	bpf_object__for_each_program(program, object) {
		if (!bpf_program__autoload(program))
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[2], bpf_program__name(program));
		err = bpf_program__pin(program, path);
		if (err) {
			fprintf(stderr, "compat-libbpf: pin '%s' failed: %d\n", path, err);
			break;
		}
	}
	bpf_object__close(object);
	return err ? 1 : 0;
}
