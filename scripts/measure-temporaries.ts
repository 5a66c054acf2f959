/**
 * npm run measure:temporaries [-- BATCH,BATCH NET,NET]
 *
 * Measures every layer's kernel temporaries on the wasm backend
 * (src/memory/temporaries-probe.ts) for the seven `-small` networks at
 * batches 16 and 64, and prints per layer kind and pass the largest
 * measurement, the largest measured / model ratio (src/plan/temporaries.ts;
 * at most 1 when the model bounds every layer) and the layer where it was.
 * Exits 1 when a measurement exceeds the model.
 */
import { initBackend } from '../src/nn/backend.js';
import { getModel, listModels } from '../src/nn/zoo/index.js';
import { measureTemporaries, type LayerTemporaries } from '../src/memory/temporaries-probe.js';

await initBackend('wasm');
const batches = (process.argv[2] ?? '16,64').split(',').map(Number);
const nets =
  process.argv[3]?.split(',') ??
  listModels()
    .map((m) => m.name)
    .filter((n) => n.endsWith('-small'));
const worst = new Map<
  string,
  { r: LayerTemporaries; net: string; batch: number; ratio: number; max: number }
>();
for (const net of nets) {
  for (const batch of batches) {
    for (const r of measureTemporaries(getModel(net), batch)) {
      const key = `${r.kind} ${r.phase}`;
      const ratio = r.measuredBytes / r.modelBytes;
      const w = worst.get(key);
      const max = Math.max(w?.max ?? 0, r.measuredBytes);
      if (!w || ratio > w.ratio) worst.set(key, { r, net, batch, ratio, max });
      else w.max = max;
    }
  }
}
const KiB = (b: number) => (b / 1024).toFixed(0);
console.log(
  '| kind | pass | largest measured KiB | largest measured / model | at (network, layer, batch: X, Y, W KiB) |',
);
console.log('| --- | --- | ---: | ---: | --- |');
let over = 0;
for (const [key, w] of [...worst.entries()].sort()) {
  const [kind, phase] = key.split(' ');
  if (w.ratio > 1) over++;
  console.log(
    `| ${kind} | ${phase} | ${KiB(w.max)} | ${w.ratio.toFixed(2)} | ${w.net} ${w.r.layer} b${w.batch}: ${KiB(w.r.inputBytes)}, ${KiB(w.r.outputBytes)}, ${KiB(w.r.paramBytes)} |`,
  );
}
process.exit(over ? 1 : 0);
