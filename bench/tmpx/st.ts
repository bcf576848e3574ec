import { openLocalState } from '../../local/src/localState.ts';
import { readStatus } from '../../local/src/cli/status.ts';
const state = openLocalState('/tmp/rstate');
const ts: number[] = [];
for (let i = 0; i < 20; i++) { const t0 = performance.now(); await readStatus(state); ts.push(performance.now() - t0); }
console.log(ts.map((t) => t.toFixed(1)).join(' '));
