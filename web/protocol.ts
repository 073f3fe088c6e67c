/**
 * The messages between the page (main.ts) and its worker (worker.ts). Every request carries an id; the
 * worker answers each with exactly one reply of that id (ok or error), and may send progress before it.
 * Files and results travel as File and Blob objects (handles, not copies): the page's main thread
 * never holds or copies a model's bytes.
 */
import type { ErrorText } from '../src/shell/error.js';
import type { ModelSummary } from '../src/shell/summary.js';
import type { ListReport } from '../src/sge/list.js';

/** The options of the form, as typed (parsed in the worker, by the CLI's parsers). */
export interface FormOptions {
  /** The After field, one pattern per comma or line. */
  readonly after: readonly string[];
  readonly exclude: readonly string[];
  /** The Groups field as typed ('' = the default). */
  readonly groups: string;
  readonly inline: boolean;
  readonly force: boolean;
}

/** What the page asks. */
export type Request =
  | { readonly id: number; readonly type: 'open'; readonly model: File; readonly data: readonly File[] }
  | { readonly id: number; readonly type: 'list'; readonly options: FormOptions }
  | {
      readonly id: number;
      readonly type: 'inject';
      readonly options: FormOptions;
      readonly params?: File;
    }
  | { readonly id: number; readonly type: 'strip' }
  | { readonly id: number; readonly type: 'fuse'; readonly options: FormOptions }
  | { readonly id: number; readonly type: 'validate' };

/** A model the page can offer for download (made into a Blob in the worker, so the page copies nothing). */
export interface Output {
  readonly name: string;
  readonly blob: Blob;
  readonly size: number;
}

/** What each request answers when it succeeds. */
export type Result =
  | { readonly type: 'open'; readonly summary: ModelSummary }
  | { readonly type: 'list'; readonly report: ListReport; readonly text: string; readonly selected: number }
  | { readonly type: 'inject' | 'strip' | 'fuse'; readonly text: string; readonly output: Output }
  | { readonly type: 'validate'; readonly text: string; readonly passed: boolean };

/** What the worker sends. */
export type Reply =
  | { readonly id: number; readonly kind: 'ok'; readonly result: Result }
  | { readonly id: number; readonly kind: 'error'; readonly error: ErrorText }
  | {
      readonly id: number;
      readonly kind: 'progress';
      readonly message: string;
      /** 0..1 when known. */
      readonly fraction?: number;
    };
