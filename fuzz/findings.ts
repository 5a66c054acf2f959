/**
 * Findings: grouped by signature (reader, kind, error and where it was
 * thrown), counted, and the first few inputs of each saved whole under the
 * findings folder, with a finding.json that says how to replay them.
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOTE_KINDS, type FindingKind, type Outcome } from './protocol.js';
import { LAYOUTS, type InputFiles, type ReaderName } from './readers.js';
import type { Mutant } from './strategies.js';

/** Inputs saved per signature. */
const EXAMPLES = 3;

export interface FindingGroup {
  readonly reader: ReaderName;
  readonly why: FindingKind;
  readonly name: string;
  /** The first input's message. */
  readonly message: string;
  /** The first frame of the stack inside the project, if any. */
  readonly where: string;
  count: number;
  /** Folders the saved inputs are in. */
  readonly saved: string[];
}

type FindingOutcome = Extract<Outcome, { kind: 'finding' }>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The first stack frame in cdma's own sources (src/), else the first one outside the fuzzer, as a short path. */
export function whereThrown(stack: string): string {
  const frames = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '));
  const own =
    frames.find((f) => f.includes(`${ROOT}src/`)) ??
    frames.find((f) => !f.includes(`${ROOT}fuzz/`) && !f.includes('node:')) ??
    '';
  const m = /\(?((?:file:\/\/)?\/[^\s()]+?):(\d+):\d+\)?$/.exec(own);
  if (m === null) return own.replace(/^at /, '');
  const file = m[1].replace(/^file:\/\//, '');
  const short = file.startsWith(ROOT)
    ? file.slice(ROOT.length)
    : file.replace(/^.*\/node_modules\//, 'node_modules/');
  return `${short}:${m[2]}`;
}

function normalize(message: string, dir: string): string {
  return message
    .split(dir)
    .join('<dir>')
    .replace(/\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .slice(0, 48);
}

/** The full file set of an input: the base seed with the input's changes. */
export function inputFiles(base: InputFiles, m: Mutant): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = { ...base, ...m.write };
  for (const name of m.remove) delete files[name];
  return files;
}

export class FindingStore {
  readonly groups = new Map<string, FindingGroup>();

  /** Groups that are findings (not notes). */
  findings(): FindingGroup[] {
    return [...this.groups.values()].filter((g) => !NOTE_KINDS.includes(g.why));
  }

  /** Groups that are notes: message problems and slow inputs. */
  notes(): FindingGroup[] {
    return [...this.groups.values()].filter((g) => NOTE_KINDS.includes(g.why));
  }

  constructor(private readonly dir: string | null) {}

  add(
    reader: ReaderName,
    outcome: FindingOutcome,
    readerDir: string,
    files: InputFiles,
    info: { readonly seed: number; readonly index: number; readonly variant: number },
  ): FindingGroup {
    const where = whereThrown(outcome.stack);
    const what =
      outcome.why === 'message'
        ? (/^the message ([^:]*):/.exec(outcome.message)?.[1] ?? '')
        : outcome.why === 'slow'
          ? ''
          : normalize(outcome.message, readerDir);
    const key = [reader, outcome.why, outcome.name, where, what].join('|');
    let g = this.groups.get(key);
    if (g === undefined) {
      g = {
        reader,
        why: outcome.why,
        name: outcome.name,
        message: outcome.message,
        where,
        count: 0,
        saved: [],
      };
      this.groups.set(key, g);
    }
    g.count++;
    if (this.dir !== null && g.saved.length < EXAMPLES) {
      const hash = createHash('sha1').update(key).digest('hex').slice(0, 10);
      const out = join(this.dir, reader, `${outcome.why}-${hash}-${g.saved.length + 1}`);
      saveInput(out, reader, files);
      writeFileSync(
        join(out, 'finding.json'),
        `${JSON.stringify(
          {
            reader,
            why: outcome.why,
            variant: info.variant,
            seed: info.seed,
            index: info.index,
            error: { name: outcome.name, message: outcome.message, where, stack: outcome.stack },
            replay: `npm run fuzz -- --replay ${out}`,
          },
          null,
          2,
        )}\n`,
      );
      g.saved.push(out);
    }
    return g;
  }
}

/** Writes an input's files under DIR/files, with the reader's links, so DIR/files is the reader's folder. */
export function saveInput(dir: string, reader: ReaderName, files: InputFiles): void {
  const root = join(dir, 'files');
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(root, LAYOUTS[reader].onDisk ? name : 'input');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  for (const [link, target] of Object.entries(LAYOUTS[reader].links ?? {})) {
    mkdirSync(dirname(join(root, link)), { recursive: true });
    linkSync(join(root, target), join(root, link));
  }
}
