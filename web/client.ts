/** The page's side of the worker: each request becomes a promise; progress goes to a callback. */
import type { ErrorText } from '../src/shell/error.js';
import type { Reply, Request, Result } from './protocol.js';

/** A request that failed, with the lines the CLI would print for it. */
export class WorkerError extends Error {
  constructor(readonly text: ErrorText) {
    super(text.lines.join('\n'));
  }
}

type Body = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(r: Result): void;
  reject(e: Error): void;
  progress?: (message: string, fraction?: number) => void;
}

/** Talks to worker.js. */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  constructor(url: URL) {
    this.#worker = new Worker(url, { type: 'module' });
    this.#worker.onmessage = (e: MessageEvent<Reply>) => {
      const reply = e.data;
      const p = this.#pending.get(reply.id);
      if (!p) return;
      if (reply.kind === 'progress') {
        p.progress?.(reply.message, reply.fraction);
        return;
      }
      this.#pending.delete(reply.id);
      if (reply.kind === 'ok') p.resolve(reply.result);
      else p.reject(new WorkerError(reply.error));
    };
    this.#worker.onerror = (e) => {
      // A worker that cannot start (e.g. served from file://) fails every request with the reason.
      e.preventDefault();
      const text: ErrorText = {
        kind: 'internal',
        lines: [
          `sge-inject: the page's worker failed: ${e.message || 'it could not be loaded'}`,
          '  → serve the page over http (`npx sge-inject web`); module workers and wasm do not work from file://',
        ],
      };
      for (const p of this.#pending.values()) p.reject(new WorkerError(text));
      this.#pending.clear();
    };
  }

  /** Sends a request (transferring `transfer`) and resolves with its result. */
  request(
    body: Body,
    transfer: Transferable[] = [],
    progress?: (message: string, fraction?: number) => void,
  ): Promise<Result> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, progress });
      this.#worker.postMessage({ ...body, id } as Request, transfer);
    });
  }
}
