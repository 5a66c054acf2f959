/** Messages between the fuzzer and its worker, and how an input ended. */
import type { InputFiles, ReaderName } from './readers.js';

export type FindingKind =
  /** An error that is not a CdmaError (TypeError, RangeError, a plain Error...). */
  | 'untyped'
  /** One allocation over the memory cap, refused by the guard. */
  | 'allocation'
  /** Memory grew by more than the cap while reading one input. */
  | 'memory'
  /** A note, not a finding: a typed error whose message spans lines, is very long or does not name the input. */
  | 'message'
  /** A note, not a finding: an input that took over a second. */
  | 'slow'
  /** No answer within the time limit; the worker was terminated. */
  | 'hang'
  /** The worker died (out of memory, an uncaught error). */
  | 'crash'
  /** A valid seed, unmutated, was refused. */
  | 'seed';

export type Outcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'typed';
      readonly name: string;
      readonly message: string;
      /** What is wrong with the message (one line, short, naming the input), if anything. */
      readonly problem?: string;
      readonly stack?: string;
    }
  | {
      readonly kind: 'finding';
      readonly why: FindingKind;
      readonly name: string;
      readonly message: string;
      readonly stack: string;
    };

/** Kinds recorded and reported but not counted as findings. */
export const NOTE_KINDS: readonly FindingKind[] = ['message', 'slow'];

export interface SetupMessage {
  readonly type: 'setup';
  readonly reader: ReaderName;
  /** The reader's folder (created fresh). */
  readonly dir: string;
  readonly base: InputFiles;
  readonly memCapBytes: number;
}

export interface RunMessage {
  readonly type: 'run';
  readonly seq: number;
  readonly write: InputFiles;
  readonly remove: readonly string[];
  readonly variant: number;
}

export type ToWorker = SetupMessage | RunMessage;

export interface ReadyMessage {
  readonly type: 'ready';
}

export interface DoneMessage {
  readonly type: 'done';
  readonly seq: number;
  readonly outcome: Outcome;
  readonly ms: number;
  /** Heap and array-buffer growth over the input, bytes. */
  readonly grewBytes: number;
  /** Largest single allocation, bytes. */
  readonly largestAlloc: number;
}

export type FromWorker = ReadyMessage | DoneMessage;
