/**
 * The page's worker: all heavy work (decode, list, inject, strip, fuse, encode, validation in
 * onnxruntime-web) runs here so the page keeps answering input. One request at a time, in order.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { describeError } from '../src/shell/error.js';
import type { OrtModule } from '../src/validate/session.js';
import type { Reply, Request, Result } from './protocol.js';
import { WebSession, type NamedBytes } from './session.js';

declare const self: {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
  location: { href: string };
};

let ortPromise: Promise<OrtModule> | undefined;

/**
 * onnxruntime-web (wasm), loaded on first use from the files served beside the page (never a CDN), on
 * one thread: more would need cross-origin isolation, which a plain static host does not give.
 */
function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-web/wasm').then((ort: typeof OrtWeb) => {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = {
      mjs: new URL('./ort/ort-wasm-simd-threaded.mjs', self.location.href).href,
      wasm: new URL('./ort/ort-wasm-simd-threaded.wasm', self.location.href).href,
    };
    return ort as unknown as OrtModule;
  });
  return ortPromise;
}

const session = new WebSession(loadOrt);

/** Reads a picked file here, in the worker: the page never holds its bytes. */
async function named(f: File): Promise<NamedBytes> {
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

async function handle(req: Request): Promise<Result> {
  switch (req.type) {
    case 'open':
      return session.open(await named(req.model), await Promise.all(req.data.map(named)));
    case 'list':
      return session.list(req.options);
    case 'inject':
      return session.inject(req.options, req.params && (await named(req.params)));
    case 'strip':
      return session.strip();
    case 'fuse':
      return session.fuse(req.options);
    case 'validate':
      return session.validate((e) =>
        self.postMessage({
          id: req.id,
          kind: 'progress',
          message: e.message,
          ...(e.total ? { fraction: (e.done ?? 0) / e.total } : {}),
        }),
      );
  }
}

let queue: Promise<void> = Promise.resolve();

self.onmessage = (e) => {
  const req = e.data;
  queue = queue.then(async () => {
    try {
      const result = await handle(req);
      self.postMessage({ id: req.id, kind: 'ok', result });
    } catch (err) {
      self.postMessage({ id: req.id, kind: 'error', error: describeError(err) });
    }
  });
};
