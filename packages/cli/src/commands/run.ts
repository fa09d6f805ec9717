import { BpfObject } from '@bpfkit/loader';
import { hexBytes, toJson } from '../output.js';
import { parseData } from '../values.js';

/** `bpfkit run OBJ PROG [--data HEX|@file] [--repeat N]`: load and BPF_PROG_TEST_RUN one program. */
export function run(
  path: string,
  program: string,
  options: { data?: string; repeat?: number; json?: boolean },
): number {
  using obj = BpfObject.open(path);
  obj.load();
  const data = options.data === undefined ? new Uint8Array(64) : parseData(options.data);
  const result = obj.program(program).testRun({ data, repeat: options.repeat ?? 1 });
  if (options.json) {
    console.log(toJson({ program, retval: result.retval, duration: result.duration, data: result.data }));
  } else {
    console.log(`retval: ${result.retval}`);
    console.log(`duration: ${result.duration} ns`);
    console.log(`data (${result.data.length} bytes): ${hexBytes(result.data)}`);
  }
  return 0;
}
