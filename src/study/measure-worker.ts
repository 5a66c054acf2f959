/**
 * The study's measurement thread: measures the activations the recorder
 * hands over (sizes under every codec and layout, descriptors, maps) while
 * the training thread goes on, one job at a time in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TensorMeasurer } from './measure.js';
import { runJob } from './measure-run.js';
import type { WorkerConfig, WorkerReply, WorkerRequest } from './measure-protocol.js';

const port = parentPort;
if (!port) throw new Error('measure-worker.ts must run as a worker thread');
const measurer = new TensorMeasurer(workerData as WorkerConfig);

port.on('message', (m: WorkerRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const r = runJob(measurer, m.job);
    const map = r.map && {
      png: new Uint8Array(r.map.png),
      width: r.map.width,
      height: r.map.height,
      channels: r.map.channels,
      density: r.map.density,
    };
    if (map) transfer.push(map.png.buffer as ArrayBuffer);
    reply = { type: 'done', id: m.id, measurement: r.measurement, map, ms: r.ms };
  } catch (e) {
    reply = { type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
