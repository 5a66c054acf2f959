/**
 * Allocation guard for the fuzzing worker: every ArrayBuffer, typed array and
 * Buffer allocation larger than the per-input memory cap is refused and
 * recorded (the reader may catch the refusal; the record stays). Installed
 * before any reader module is loaded, so module-level aliases of the
 * constructors (`const u8 = Uint8Array`) see the guarded ones.
 */

export interface GiantAllocation {
  readonly bytes: number;
  readonly what: string;
  readonly stack: string;
}

let cap = 256 * 1024 * 1024;
let largest = 0;
let giant: GiantAllocation | null = null;

/** Sets the largest single allocation allowed. */
export function setAllocationCap(bytes: number): void {
  cap = bytes;
}

/** The first refused allocation since the last reset, and the largest allocation seen. */
export function takeAllocationRecord(): { giant: GiantAllocation | null; largest: number } {
  const r = { giant, largest };
  giant = null;
  largest = 0;
  return r;
}

/** Array-buffer memory when the input started, and bytes allocated since the last look at it. */
let startBuffers = 0;
let sinceLook = 0;
const LOOK_EVERY = 32 * 1024 * 1024;

/** Starts the accounting of one input. */
export function beginInput(): void {
  giant = null;
  largest = 0;
  sinceLook = 0;
  startBuffers = process.memoryUsage().arrayBuffers;
}

function refuse(bytes: number, what: string, why: string): never {
  const err = new RangeError(`fuzz guard: refused to allocate ${bytes} bytes (${what}): ${why}`);
  giant ??= { bytes, what: `${what}: ${why}`, stack: err.stack ?? '' };
  throw err;
}

function check(bytes: number, what: string): void {
  if (bytes > cap) refuse(bytes, what, 'one allocation over the cap');
  if (bytes > largest) largest = bytes;
  sinceLook += bytes;
  if (sinceLook < LOOK_EVERY) return;
  sinceLook = 0;
  const held = process.memoryUsage().arrayBuffers - startBuffers;
  if (held + bytes > cap)
    refuse(bytes, what, `array buffers already hold ${held} bytes more than at the start`);
}

/** Bytes a typed-array constructor call would allocate (0 when it views an existing buffer). */
function typedBytes(args: unknown[], per: number): number {
  const a = args[0];
  if (typeof a === 'number') return a * per;
  if (a === null || typeof a !== 'object') return 0;
  if (
    a instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer === 'function' && a instanceof SharedArrayBuffer)
  )
    return 0;
  const len = (a as { length?: unknown }).length;
  return typeof len === 'number' ? len * per : 0;
}

const TYPED = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

let installed = false;

export function installAllocationGuard(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of TYPED) {
    const Ctor = g[name] as { BYTES_PER_ELEMENT: number } & (new (...a: unknown[]) => unknown);
    const per = Ctor.BYTES_PER_ELEMENT;
    g[name] = new Proxy(Ctor, {
      construct(target, args, newTarget) {
        check(typedBytes(args, per), `new ${name}`);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  for (const name of ['ArrayBuffer', 'SharedArrayBuffer'] as const) {
    const Ctor = g[name] as new (...a: unknown[]) => unknown;
    if (typeof Ctor !== 'function') continue;
    g[name] = new Proxy(Ctor, {
      construct(target, args, newTarget) {
        const n = args[0];
        check(typeof n === 'number' ? n : 0, `new ${name}`);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const fn = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
    Buffer[name] = ((size: number, ...rest: unknown[]) => {
      check(size, `Buffer.${name}`);
      return fn.call(Buffer, size, ...rest);
    }) as never;
  }
  const concat = Buffer.concat;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    let n = total ?? 0;
    if (total === undefined) for (const b of list) n += b.length;
    check(n, 'Buffer.concat');
    return concat.call(Buffer, list, total);
  }) as typeof Buffer.concat;
  const repeat = String.prototype.repeat;
  String.prototype.repeat = function (this: string, count: number): string {
    check(this.length * count * 2, 'String.prototype.repeat');
    return repeat.call(this, count);
  };
}
