import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { KeepStore } from '../../src/nn/keep-store.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import { Sgd } from '../../src/train/sgd.js';
import { StepRecorder } from '../../src/study/recorder.js';
import { WorkerMeasureService, InlineMeasureService } from '../../src/study/measure-service.js';

await initBackend('wasm');
const name = process.argv[2] ?? 'alexnet-small';
const sampleBytes = Number(process.argv[3] ?? 1 << 20);
const mode = process.argv[4] ?? 'worker';
const batch = 64;
const spec = getModel(name, { inputShape: [1, 28, 28], numClasses: 10 });
const cfg = { zlibLevel: 6, zlibSampleBytes: sampleBytes };
const service =
  mode === 'worker' ? await WorkerMeasureService.start(cfg) : new InlineMeasureService(cfg);
const rec = new StepRecorder(analyzeModel(spec), service, { maxMapLayers: 12, mapChannels: 16 });
const exec = Executor.create(spec, {
  seed: 1,
  store: rec.wrap(new KeepStore()),
  observer: rec.observer,
});
const sgd = new Sgd({ lr: 0.01, momentum: 0.9 });
const x = tf.randomNormal([batch, 28, 28, 1]) as tf.Tensor4D;
const labels = new Uint8Array(batch).map((_, i) => i % 10);
const plain: number[] = [];
const recorded: number[] = [];
const waits: number[] = [];
let pending: Promise<unknown> | null = null;
for (let s = 0; s < 13; s++) {
  const r = s % 4 === 1;
  if (r) {
    const w0 = performance.now();
    if (pending) await pending;
    waits.push(performance.now() - w0);
    rec.begin(s, s === 9);
  }
  const t0 = performance.now();
  await exec.trainStep(x, labels, s);
  sgd.step(exec.params);
  const ms = performance.now() - t0;
  if (r) {
    pending = rec.end();
    recorded.push(ms);
  } else if (s > 0) plain.push(ms);
}
await pending;
const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(
  `${name} ${mode} sample=${sampleBytes}: plain step ${med(plain).toFixed(0)} ms, recorded step ${med(recorded).toFixed(0)} ms, main ${(rec.takeMainMs() / 3).toFixed(0)} ms/rec, wait ${waits.map((w) => w.toFixed(0))}, measure ${(service.busyMs / 3).toFixed(0)} ms/rec`,
);
await service.close();
