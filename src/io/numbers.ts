/**
 * Numbers in option values, one syntax for every command: an optional sign,
 * digits, for real numbers a decimal point and an exponent (1e-3); no hex,
 * no thousands separators, no empty text. Ranges are checked and named in
 * the one-line error, e.g. "--batch must be an integer from 1 to 1048576,
 * got '0'".
 */
import { InvalidArgumentError } from '../errors.js';

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface NumberRange {
  /** Smallest value allowed (default: no bound). */
  readonly min?: number;
  /** Largest value allowed (default: no bound). */
  readonly max?: number;
  /** true: the value must be greater than min, not equal to it. */
  readonly aboveMin?: boolean;
  /** true: the value must be less than max, not equal to it. */
  readonly belowMax?: boolean;
}

function describe(kind: string, r: NumberRange): string {
  const { min, max } = r;
  const hasMin = min !== undefined && min !== -Infinity && min !== Number.MIN_SAFE_INTEGER;
  const hasMax = max !== undefined && max !== Infinity && max !== Number.MAX_SAFE_INTEGER;
  const low = `${r.aboveMin ? '>' : '>='} ${min}`;
  const high = `${r.belowMax ? '<' : '<='} ${max}`;
  if (hasMin && hasMax && !r.aboveMin && !r.belowMax) return `${kind} from ${min} to ${max}`;
  if (hasMin && hasMax) return `${kind} ${low} and ${high}`;
  if (hasMin) return `${kind} ${low}`;
  if (hasMax) return `${kind} ${high}`;
  return kind;
}

function check(flag: string, text: string, v: number, kind: string, r: NumberRange): number {
  const low = r.min === undefined || (r.aboveMin ? v > r.min : v >= r.min);
  const high = r.max === undefined || (r.belowMax ? v < r.max : v <= r.max);
  if (!low || !high) {
    throw new InvalidArgumentError(`${flag} must be ${describe(kind, r)}, got '${text}'`);
  }
  return v;
}

/** A whole number (safe integer) in the range; `flag` names it in the error. */
export function parseInteger(flag: string, text: string, range: NumberRange = {}): number {
  const s = text.trim();
  const v = INTEGER.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(
      `${flag} must be ${describe('an integer', range)}, got '${text}'`,
    );
  }
  return check(flag, text, v === 0 ? 0 : v, 'an integer', range);
}

/** A finite number in the range; `flag` names it in the error. */
export function parseNumber(flag: string, text: string, range: NumberRange = {}): number {
  const s = text.trim();
  const v = REAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) {
    throw new InvalidArgumentError(`${flag} must be ${describe('a number', range)}, got '${text}'`);
  }
  return check(flag, text, v === 0 ? 0 : v, 'a number', range);
}
