/**
 * The codec registry: every codec's descriptor by id and by container id.
 * cdma's codecs are registered below, one line each; programs add their own
 * with registerCodec. getCodec checks parameters against the codec's schema
 * and returns a Codec whose `params` hold every parameter, defaults filled
 * in, as the container records them.
 */
import { InvalidArgumentError } from '../errors.js';
import type {
  Codec,
  CodecDescriptor,
  CodecId,
  CodecOptions,
  CodecParams,
  ElementBytes,
  ParamSpec,
} from './codec.js';
import { MAX_CONTAINER_ID, MAX_PARAMS, PARAM_NAME } from './container/limits.js';
import { noneCodec } from './none.js';
import { rleCodec } from './rle.js';
import { zlibCodec } from './zlib.js';
import { zvcCodec } from './zvc.js';

export type { ParamSpec } from './codec.js';

const byId = new Map<string, CodecDescriptor>();
const byContainerId = new Map<number, CodecDescriptor>();
const ids: CodecId[] = [];
const paramsById: Record<string, readonly ParamSpec[]> = {};
const descriptionsById: Record<string, string> = {};

/** Every registered codec id, in registration order (grows as codecs are registered). */
export const CODEC_IDS: readonly CodecId[] = ids;
/** Each registered codec's parameter schema, by id. */
export const CODEC_PARAMS: Readonly<Record<string, readonly ParamSpec[]>> = paramsById;
/** Each registered codec's one-line description, by id. */
export const CODEC_DESCRIPTIONS: Readonly<Record<string, string>> = descriptionsById;

/** The options getCodec passes to a codec's create (implementation choices). */
export type GetCodecOptions = CodecOptions;

/** Names a codec parameter cannot have: codec configurations (TensorCodec.toConfig) use them. */
export const RESERVED_PARAM_NAMES: readonly string[] = ['id', 'dtype'];

function checkSpec(id: string, s: ParamSpec): void {
  const where = `codec ${id} parameter '${s.name}'`;
  if (!PARAM_NAME.test(s.name))
    throw new InvalidArgumentError(`${where}: a name is 1-32 letters, digits or _`);
  if (RESERVED_PARAM_NAMES.includes(s.name))
    throw new InvalidArgumentError(
      `${where}: ${RESERVED_PARAM_NAMES.join(' and ')} name the codec and the dtype in a codec's configuration; choose another name`,
    );
  if (s.type !== 'integer' && s.type !== 'number')
    throw new InvalidArgumentError(`${where}: type must be 'integer' or 'number'`);
  if (!Number.isFinite(s.min) || !Number.isFinite(s.max) || s.min > s.max)
    throw new InvalidArgumentError(`${where}: min and max must be finite with min <= max`);
  if (!allowed(s, s.default))
    throw new InvalidArgumentError(`${where}: default ${s.default} is not ${rangeRule(s)}`);
}

/**
 * Adds a codec: from now on getCodec, compress and the container reader know
 * it by `id` and by `containerId`. Throws InvalidArgumentError when the id or
 * container id is taken or malformed, or the parameter schema does not fit a
 * container header.
 */
export function registerCodec(d: CodecDescriptor): void {
  if (typeof d.id !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(d.id))
    throw new InvalidArgumentError(
      `codec id '${String(d.id)}' must be 1-32 lower-case letters, digits, _ or -, starting with a letter`,
    );
  if (byId.has(d.id)) throw new InvalidArgumentError(`codec '${d.id}' is already registered`);
  if (!Number.isInteger(d.containerId) || d.containerId < 0 || d.containerId > MAX_CONTAINER_ID)
    throw new InvalidArgumentError(
      `codec ${d.id}: containerId must be an integer from 0 to ${MAX_CONTAINER_ID}, not ${d.containerId}`,
    );
  const taken = byContainerId.get(d.containerId);
  if (taken)
    throw new InvalidArgumentError(
      `codec ${d.id}: containerId ${d.containerId} is already codec ${taken.id}'s`,
    );
  if (d.params.length > MAX_PARAMS)
    throw new InvalidArgumentError(
      `codec ${d.id} has ${d.params.length} parameters; a container header holds at most ${MAX_PARAMS}`,
    );
  const names = new Set<string>();
  for (const s of d.params) {
    checkSpec(d.id, s);
    if (names.has(s.name))
      throw new InvalidArgumentError(`codec ${d.id} declares parameter '${s.name}' twice`);
    names.add(s.name);
  }
  if (d.elementBytes.length === 0 || d.elementBytes.some((eb) => eb !== 2 && eb !== 4))
    throw new InvalidArgumentError(`codec ${d.id}: elementBytes must list 2 and/or 4`);
  byId.set(d.id, d);
  byContainerId.set(d.containerId, d);
  ids.push(d.id);
  paramsById[d.id] = d.params;
  descriptionsById[d.id] = d.description;
}

/** What listCodecs tells about one registered codec. */
export interface CodecInfo {
  readonly id: CodecId;
  readonly containerId: number;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  readonly elementBytes: readonly ElementBytes[];
}

/** Every registered codec, in registration order (cdma's four first). */
export function listCodecs(): CodecInfo[] {
  return ids.map((id) => {
    const d = byId.get(id) as CodecDescriptor;
    return {
      id: d.id,
      containerId: d.containerId,
      description: d.description,
      params: d.params,
      elementBytes: d.elementBytes,
    };
  });
}

/** True when a codec is registered under `id`. */
export function isCodecId(id: string): id is CodecId {
  return byId.has(id);
}

/** Throws InvalidArgumentError unless `id` names a registered codec. */
export function checkCodecId(id: string): asserts id is CodecId {
  if (!byId.has(id))
    throw new InvalidArgumentError(`unknown codec '${String(id)}'; use ${ids.join(', ')}`);
}

/** The descriptor of codec `id` (InvalidArgumentError when none is registered). */
export function codecDescriptor(id: string): CodecDescriptor {
  const d = byId.get(id);
  if (d === undefined)
    throw new InvalidArgumentError(`unknown codec '${String(id)}'; use ${ids.join(', ')}`);
  return d;
}

/** The descriptor whose container id is `containerId`, or undefined. */
export function codecByContainerId(containerId: number): CodecDescriptor | undefined {
  return byContainerId.get(containerId);
}

/** True when `v` is a value parameter `s` takes. */
function allowed(s: ParamSpec, v: unknown): boolean {
  return (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (s.type === 'number' || Number.isInteger(v)) &&
    v >= s.min &&
    v <= s.max
  );
}

/** The values parameter `s` takes, in words: 'an integer from 0 to 9'. */
function rangeRule(s: ParamSpec): string {
  return `${s.type === 'integer' ? 'an integer' : 'a number'} from ${s.min} to ${s.max}`;
}

/**
 * `params` checked against codec `id`'s schema (unknown names and values out
 * of range are one-line InvalidArgumentErrors naming the parameter and its
 * range), then against its cross-parameter rules; defaults fill the rest.
 */
export function resolveParams(id: CodecId, params: CodecParams = {}): Record<string, number> {
  const d = codecDescriptor(id);
  const specs = d.params;
  if (params === null || typeof params !== 'object')
    throw new InvalidArgumentError(`codec ${id} parameters must be an object of numbers`);
  for (const name of Object.keys(params)) {
    if (!specs.some((s) => s.name === name))
      throw new InvalidArgumentError(
        specs.length === 0
          ? `codec ${id} takes no parameters, got '${name}'`
          : `unknown parameter '${name}' for codec ${id}; known: ${specs.map(rangeText).join(', ')}`,
      );
  }
  const out: Record<string, number> = {};
  for (const s of specs) {
    const v = params[s.name] ?? s.default;
    if (!allowed(s, v))
      throw new InvalidArgumentError(
        `${id} parameter ${s.name} must be ${rangeRule(s)}, not ${String(v)}`,
      );
    out[s.name] = v;
  }
  d.checkParams?.(out);
  return out;
}

function rangeText(s: ParamSpec): string {
  return `${s.name} (${s.min}-${s.max})`;
}

/** The codec `id` with `params` (validated; defaults for the rest). */
export function getCodec(id: string, params: CodecParams = {}, options: CodecOptions = {}): Codec {
  const d = codecDescriptor(id);
  const p = resolveParams(d.id, params);
  return { ...d.create(p, options), id: d.id, params: p };
}

/** Parses 'name=value,name=value' (CLI syntax) into codec params. */
export function parseParams(text: string): CodecParams {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`codec parameter '${part}' is not name=number`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

// cdma's codecs, one line each, in the order help texts list them.
registerCodec(zvcCodec);
registerCodec(rleCodec);
registerCodec(zlibCodec);
registerCodec(noneCodec);

/**
 * cdma's own codecs: every thread that loads this module has them (a
 * program's registerCodec adds a codec to its own thread only).
 */
export const BUILTIN_CODEC_IDS: readonly CodecId[] = [...ids];
