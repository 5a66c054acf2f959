/** The human-readable form of a training summary, as `cdma train` prints it. */
import { formatBytes } from '../io/sizes.js';
import { FINAL_WINDOW, type TrainSummary } from './trainer.js';

export const percent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;

export function plural(n: number, word: string): string {
  const s = Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)));
  return `${s} ${word}${n === 1 ? '' : 's'}`;
}

export function formatSummary(s: TrainSummary): string {
  const rows: [string, string][] = [
    ['model', `${s.model} (input ${s.inputShape.join('x')}, ${s.numClasses} classes)`],
    ['dataset', `${s.dataset} (${s.trainImages} training / ${s.testImages} test images)`],
    [
      'training',
      `${plural(s.steps, 'step')} (${plural(s.epochs, 'epoch')}) of batch ${s.batch}, lr ${s.lr} ${s.lrSchedule}` +
        `${s.warmupSteps > 0 ? ` after ${s.warmupSteps} warm-up steps` : ''}, ` +
        `${s.optimizer === 'adam' ? 'Adam' : `SGD momentum ${s.momentum}`}, ` +
        `weight decay ${s.weightDecay}, seed ${s.seed}, backend ${s.backend}`,
    ],
    [
      'final loss',
      `${s.finalLoss.toFixed(4)} (mean of the last ${plural(Math.min(FINAL_WINDOW, s.steps), 'step')}; training accuracy ${percent(s.finalTrainAccuracy, 1)})`,
    ],
    ['test accuracy', `${percent(s.testAccuracy)} (loss ${s.testLoss.toFixed(4)})`],
    [
      'images/s',
      `${s.imagesPerSec.toFixed(1)} (training ${s.trainSeconds.toFixed(1)} s, evaluation ${s.evalSeconds.toFixed(1)} s)`,
    ],
    ['peak device', `${formatBytes(s.peakDeviceBytes)} (${s.peakDeviceBytes} bytes)`],
    ['weights sha256', s.weightsSha256],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
