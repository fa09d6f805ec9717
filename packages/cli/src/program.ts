import { Command, InvalidArgumentError, Option } from 'commander';
import { type BtfDumpFormat, btfDumpFormats } from './btf-dump-formats.js';
import type { GenSkeletonOptions } from './commands/gen-skeleton.js';
import { ExitCode } from './exit-codes.js';
import { fileArgument } from './file-argument.js';
import { type GraphFormat, graphFormats } from './graph-formats.js';
import { errorJson, reportError } from './report-error.js';
import { version } from './version.js';

const exitCodes = `
Exit status:
  0  success
  1  the kernel refused (load, verifier, test run, map access)
  2  bad input: malformed or invalid object, unknown map or program, bad arguments
  3  an internal error: a bug in bpfkit, printed with its stack`;

/** Parses `--repeat`: a whole number from 1 to 2^32-1 (BPF_PROG_TEST_RUN's u32), refused otherwise. */
function positiveCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 0xffffffff)
    throw new InvalidArgumentError('expected a whole number from 1 to 4294967295.');
  return n;
}

/**
 * The bpfkit command line; each action resolves to an exit status. A command's module is
 * imported when it runs, so `btf dump` does not load the loader, the FFI or Graphviz, and
 * `--version` or `--help` loads neither the BTF nor the ELF reader.
 */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('bpfkit')
    .description('Inspect, load, run and draw BPF objects (a TypeScript loader compatible with libbpf).')
    .version(version)
    .addHelpText('after', exitCodes)
    .showHelpAfterError()
    // Set before the subcommands exist: each copies it when created (a usage error exits 2, not 1).
    .exitOverride((error) => {
      setExit(error.exitCode === 0 ? ExitCode.OK : ExitCode.INPUT);
      throw error;
    });
  const wrap =
    <A extends unknown[]>(action: (...args: A) => number | Promise<number>) =>
    async (...args: A) => {
      try {
        setExit(await action(...args));
      } catch (error) {
        const code = reportError(error);
        if (args.some((a) => (a as { json?: unknown } | undefined)?.json === true)) {
          console.log(errorJson(error, code));
        }
        setExit(code);
      }
    };

  program
    .command('inspect')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .option('--json', 'machine-readable output')
    .description('show sections, programs, maps, slots, BTF and what would fail to load (no privileges needed)')
    .addHelpText('after', '\nExample:\n  bpfkit inspect examples/map-in-map.bpf.o')
    .action(
      wrap((path: string, o: { json?: boolean }) =>
        import('./commands/inspect.js').then((command) => command.inspect(path, o)),
      ),
    );

  program
    .command('load')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .option('--pin <dir>', 'pin programs under <dir>/progs and maps pinned by name under <dir>')
    .option('--pin-maps', "with --pin, also pin every other map under <dir>/<map name> ('.' becomes '_')")
    .option('--const <name=value>', 'set a const volatile global before load (repeatable)', (v, all: string[] = []) => [
      ...all,
      v,
    ])
    .option('-v, --verbose', 'print each step, libbpf style')
    .option('--json', 'machine-readable summary')
    .description('load an object into the kernel and summarise its maps and programs')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit load examples/map-in-map.bpf.o -v\n  bpfkit load examples/map-in-map.bpf.o --pin /sys/fs/bpf/demo --pin-maps',
    )
    .action(
      wrap(
        (path: string, o: { pin?: string; pinMaps?: boolean; const?: string[]; verbose?: boolean; json?: boolean }) =>
          import('./commands/load.js').then((command) => command.load(path, o)),
      ),
    );

  program
    .command('run')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .argument('<program>', 'program name')
    .option('--data <hex|@file>', 'input data (hex bytes, or @file); 64 zero bytes by default')
    .option('--repeat <n>', 'run the program n times', positiveCount)
    .option('--json', 'machine-readable output')
    .description('load an object and run one program with BPF_PROG_TEST_RUN')
    .addHelpText(
      'after',
      '\nExample:\n  bpfkit run examples/tail-calls.bpf.o dispatch --data 00112233445566778899aabbccdd',
    )
    .action(
      wrap((path: string, name: string, o: { data?: string; repeat?: number; json?: boolean }) =>
        import('./commands/run.js').then((command) => command.run(path, name, o)),
      ),
    );

  program
    .command('events')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .argument('<map>', 'a ring buffer or perf event array of the object')
    .option('--type <name>', 'decode each record as this BTF struct of the object')
    .option('--json', 'one JSON document per record')
    .option('--count <n>', 'stop after n records')
    .option('--page-count <n>', 'pages per CPU of a perf buffer (a power of two)', '64')
    .description("load an object, attach its programs and print a map's records as they come (Ctrl-C to stop)")
    .addHelpText('after', '\nExample:\n  bpfkit events examples/execsnoop.bpf.o events --type event')
    .action(
      wrap((path: string, name: string, o: { type?: string; json?: boolean; count?: string; pageCount?: string }) =>
        import('./commands/events.js').then((command) => command.events(path, name, o)),
      ),
    );

  program
    .command('trace')
    .argument('[object]', 'a BPF ELF object to load and attach first', fileArgument)
    .option('--instance <name>', 'read the tracefs instance instances/<name> instead of the top-level buffer')
    .option('--json', 'one JSON document per line: task, pid, cpu, timestamp, event, message')
    .option('--count <n>', 'stop after n lines')
    .description("print bpf_printk output (tracefs's trace_pipe) as it comes (Ctrl-C to stop)")
    .addHelpText('after', '\nExamples:\n  bpfkit trace\n  bpfkit trace examples/tracepoint.bpf.o --count 10')
    .action(
      wrap((path: string | undefined, o: { instance?: string; json?: boolean; count?: string }) =>
        import('./commands/trace.js').then((command) => command.trace(path, o)),
      ),
    );

  const map = program.command('map').description('map commands');
  map
    .command('dump')
    .argument('<source>', 'BPF object (loaded fresh) or a pinned map path')
    .argument('[map]', 'map name (for objects)')
    .option('--json', 'machine-readable output')
    .description('print every entry, decoded through BTF')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit map dump examples/map-in-map.bpf.o tenants\n  bpfkit map dump /sys/fs/bpf/demo/acme',
    )
    .action(
      wrap((source: string, name: string | undefined, o: { json?: boolean }) =>
        import('./commands/map-dump.js').then((command) => command.mapDump(source, name, o)),
      ),
    );

  const btf = program.command('btf').description('BTF commands');
  btf
    .command('dump')
    .argument('<file>', 'BPF object or raw BTF file (e.g. /sys/kernel/btf/vmlinux)', fileArgument)
    .addOption(
      new Option('--format <format>', 'output format (raw unless --json asks for json)').choices(btfDumpFormats),
    )
    .option('--type <name>', 'only this type (and, for C, what it needs; a variable prints with its type)')
    .option('--json', 'JSON output (--format json unless --format says otherwise) and JSON errors')
    .description('print BTF types; the C output compiles with clang')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit btf dump /sys/kernel/btf/vmlinux --format c > vmlinux.h\n  bpfkit btf dump examples/map-in-map.bpf.o --type tenant_counters --format c\n  bpfkit btf dump examples/map-in-map.bpf.o --type tenants --format c',
    )
    .action(
      wrap((file: string, o: { format?: BtfDumpFormat; type?: string; json?: boolean }) =>
        import('./commands/btf-dump.js').then((command) =>
          command.btfDump(file, o.json && o.format === undefined ? { ...o, format: 'json' } : o),
        ),
      ),
    );

  const repeat = (value: string, all: string[] = []) => [...all, value];
  program
    .command('gen')
    .description('generate TypeScript from an object')
    .command('skeleton')
    .argument('<object>', 'BPF ELF object (compiled with -g)', fileArgument)
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('--embed', "put the object's bytes into the module (one file to ship)")
    .option('--type <name>', 'also declare this struct, union, enum or typedef (repeatable)', repeat)
    .option('--event <map=type>', 'decode records of this ring buffer or perf map as this type (repeatable)', repeat)
    .option('--name <class>', 'the skeleton class name (from the file name by default)')
    .description('a typed skeleton: open({ rodata }), load(), typed maps, programs, events, live .bss/.data globals')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit gen skeleton examples/kill-watch.bpf.o -o kill-watch.skel.ts\n  bpfkit gen skeleton examples/kill-watch.bpf.o --embed --event events=kill_event -o kill-watch.ts',
    )
    .action(
      wrap((path: string, o: GenSkeletonOptions) =>
        import('./commands/gen-skeleton.js').then((command) => command.genSkeleton(path, o)),
      ),
    );

  program
    .command('disasm')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .argument('[program]', 'only this program')
    .description('disassemble programs as they will load (subprograms appended), with source lines')
    .addHelpText('after', '\nExample:\n  bpfkit disasm examples/map-in-map.bpf.o')
    .action(
      wrap((path: string, name: string | undefined) =>
        import('./commands/disasm.js').then((command) => command.disasm(path, name)),
      ),
    );

  program
    .command('graph')
    .argument('<object>', 'BPF ELF object', fileArgument)
    .addOption(new Option('--format <format>', 'output format').choices(graphFormats).default('svg'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .description('draw programs, maps and the outer -> inner slot links')
    .addHelpText('after', '\nExample:\n  bpfkit graph examples/map-in-map.bpf.o -o map-in-map.svg')
    .action(
      wrap((path: string, o: { format: GraphFormat; output?: string }) =>
        import('./commands/graph.js').then((command) => command.graph(path, o)),
      ),
    );

  return program;
}
