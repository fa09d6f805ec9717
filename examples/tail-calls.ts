// Runs the dispatcher with each selector byte: slots 0-2 were filled declaratively, slot 5
// is empty. Run: npx tsx examples/tail-calls.ts
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@bpfkit/loader';

const verdicts: Record<number, string> = { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS' };

using obj = BpfObject.open(fileURLToPath(new URL('tail-calls.bpf.o', import.meta.url)));
obj.load();
for (const selector of [0, 1, 2, 2, 5]) {
  const packet = new Uint8Array(64);
  packet[0] = selector;
  const { retval } = obj.program('dispatch').testRun({ data: packet });
  console.log(`selector ${selector}: ${verdicts[retval] ?? retval}`);
}
const { counted } = obj.map('.bss').get(0) as { counted: bigint };
console.log(`handle_count ran ${counted} times`);
