/** Runs one measurement job (on whichever thread calls it). */
import { renderActivationMap, type MapImage } from './maps.js';
import type { MeasureJob } from './measure-protocol.js';
import type { Measurement, TensorMeasurer } from './measure.js';

export function runJob(
  measurer: TensorMeasurer,
  job: MeasureJob,
): { measurement: Measurement; map?: MapImage; ms: number } {
  const t0 = performance.now();
  const measurement = measurer.measure(job.data, job.batch, job.shape);
  const map =
    job.mapChannels > 0 ? renderActivationMap(job.data, job.shape, 0, job.mapChannels) : undefined;
  return { measurement, map, ms: performance.now() - t0 };
}
