// Worker-thread side of the concurrency test: loads the objects it is sent and replies with
// what each became. Plain JavaScript that registers tsx, so the TypeScript sources load here too.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { loadSummary } = await import('./load-summary.ts');

parentPort?.on('message', (paths) => {
  try {
    parentPort?.postMessage({ summaries: paths.map(loadSummary) });
  } catch (error) {
    parentPort?.postMessage({ error: String(error) });
  }
});
