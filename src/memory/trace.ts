/**
 * Chrome trace-event JSON (the "JSON Object Format" that chrome://tracing
 * and Perfetto open): complete events ("ph": "X") on two lanes of one
 * process, the compute thread and the transfer engine, timestamps in
 * microseconds from the start of the run.
 */
import { writeOutput } from '../io/write.js';

export type Lane = 'compute' | 'transfer';

export interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'X' | 'M';
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Readonly<Record<string, string | number>>;
}

export interface TraceFile {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms';
}

export const TRACE_PID = 1;
export const LANE_TID: Readonly<Record<Lane, number>> = { compute: 1, transfer: 2 };
/** Events kept at most (a few hundred thousand are still viewable). */
export const MAX_TRACE_EVENTS = 500_000;

export class TraceRecorder {
  readonly #events: TraceEvent[] = [];
  readonly #originMs: number;
  #dropped = 0;

  /** `originMs`: the performance.now() that becomes time 0. */
  constructor(originMs = performance.now()) {
    this.#originMs = originMs;
  }

  /** Records a span on a lane; times are performance.now() milliseconds. */
  span(
    lane: Lane,
    name: string,
    cat: string,
    startMs: number,
    endMs: number,
    args?: Record<string, string | number>,
  ): void {
    if (this.#events.length >= MAX_TRACE_EVENTS) {
      this.#dropped++;
      return;
    }
    const ts = Math.round((startMs - this.#originMs) * 1000);
    const dur = Math.max(0, Math.round((endMs - this.#originMs) * 1000) - ts);
    this.#events.push({ name, cat, ph: 'X', ts, dur, pid: TRACE_PID, tid: LANE_TID[lane], args });
  }

  get eventCount(): number {
    return this.#events.length;
  }
  get droppedCount(): number {
    return this.#dropped;
  }

  toJSON(): TraceFile {
    const meta: TraceEvent[] = [
      {
        name: 'process_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: TRACE_PID,
        tid: 0,
        args: { name: 'cdma' },
      },
      {
        name: 'thread_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: TRACE_PID,
        tid: LANE_TID.compute,
        args: { name: 'compute' },
      },
      {
        name: 'thread_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: TRACE_PID,
        tid: LANE_TID.transfer,
        args: { name: 'transfer engine (DMA)' },
      },
    ];
    return { traceEvents: [...meta, ...this.#events], displayTimeUnit: 'ms' };
  }

  /**
   * Writes the trace through the safe writer. `otherData.status` is "ok", or
   * "failed" with the error when `failure` (the error that ended the run) is given.
   */
  write(path: string, failure?: unknown): void {
    const status =
      failure === undefined
        ? { status: 'ok' }
        : { status: 'failed', error: failure instanceof Error ? failure.message : String(failure) };
    writeOutput(path, JSON.stringify({ ...this.toJSON(), otherData: status }), { what: 'trace' });
  }
}
