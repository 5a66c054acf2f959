/**
 * Where the study measures: on a worker thread (the default, so that the
 * training thread only pays for reading the tensors back) or inline on the
 * calling thread (tests, or when threads are unwanted). Both run the same
 * code (measure-run.ts) and give the same numbers.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../io/worker.js';
import { TensorMeasurer, type MeasureConfig } from './measure.js';
import { runJob } from './measure-run.js';
import type { MeasureJob, MeasureReply, WorkerReply, WorkerRequest } from './measure-protocol.js';

export interface MeasureService {
  measure(job: MeasureJob): Promise<MeasureReply>;
  /** Milliseconds spent measuring so far (on the thread that measured). */
  readonly busyMs: number;
  close(): Promise<void>;
}

export class InlineMeasureService implements MeasureService {
  private readonly measurer: TensorMeasurer;
  busyMs = 0;

  constructor(config: MeasureConfig) {
    this.measurer = new TensorMeasurer(config);
  }

  measure(job: MeasureJob): Promise<MeasureReply> {
    try {
      const r = runJob(this.measurer, job);
      this.busyMs += r.ms;
      return Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async close(): Promise<void> {}
}

function spawn(config: MeasureConfig): Worker {
  return startWorker(import.meta.url, 'measure-worker', config);
}

interface Pending {
  resolve(r: MeasureReply): void;
  reject(e: Error): void;
}

export class WorkerMeasureService implements MeasureService {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing = false;
  busyMs = 0;

  private constructor(private readonly worker: Worker) {}

  /** Starts the measurement thread and waits until it is ready. */
  static start(config: MeasureConfig): Promise<WorkerMeasureService> {
    new TensorMeasurer(config); // validates the config here, with a stack in this thread
    const s = new WorkerMeasureService(spawn(config));
    return new Promise((resolve, reject) => {
      const w = s.worker;
      const early = (e: Error) => reject(e);
      w.once('error', early);
      w.once('message', (m: WorkerReply) => {
        w.off('error', early);
        if (m.type !== 'ready') {
          reject(new Error('the measurement thread did not start'));
          return;
        }
        w.on('message', (r: WorkerReply) => s.onReply(r));
        w.on('error', (e) => s.die(`the measurement thread crashed: ${e.message}`));
        w.on('exit', (code) => {
          if (!s.closing) s.die(`the measurement thread exited unexpectedly (code ${code})`);
        });
        resolve(s);
      });
    });
  }

  private die(message: string): void {
    this.failure ??= new Error(message);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private onReply(m: WorkerReply): void {
    if (m.type === 'ready') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'failed') {
      p.reject(new Error(`measuring an activation failed: ${m.message}`));
      return;
    }
    this.busyMs += m.ms;
    const map = m.map && {
      ...m.map,
      png: Buffer.from(m.map.png.buffer, m.map.png.byteOffset, m.map.png.byteLength),
    };
    p.resolve({ measurement: m.measurement, map, ms: m.ms });
  }

  measure(job: MeasureJob): Promise<MeasureReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the measurement service is closed'));
    const id = this.nextId++;
    const owned = job.data.byteOffset === 0 && job.data.byteLength === job.data.buffer.byteLength;
    const data = owned ? job.data : job.data.slice();
    const request: WorkerRequest = { type: 'measure', id, job: { ...job, data } };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [data.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.die('the measurement service closed before the job finished');
    await this.worker.terminate();
  }
}
