/**
 * A static file server for the web page: only files inside one folder, on 127.0.0.1 only, with the
 * MIME types module scripts and wasm need. Used by `sge-inject web` and by the browser tests.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The file under `root` that `urlPath` names, with its size, or undefined when it names none (or leaves the folder). */
async function resolveFile(root: string, urlPath: string): Promise<{ path: string; size: number } | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  if (path.endsWith('/')) path += 'index.html';
  const candidate = resolve(root, `.${path.startsWith('/') ? path : `/${path}`}`);
  if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
  try {
    // A link inside the folder may point out of it: the real path must stay inside too.
    const real = await realpath(candidate);
    if (!real.startsWith(root + sep)) return undefined;
    const st = await stat(real);
    return st.isFile() ? { path: real, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the files of `folder` on 127.0.0.1:`port` (0: any free port).
 * @throws InputError when the folder is missing or the port is taken or not allowed.
 */
export async function serveFolder(folder: string, port: number): Promise<StaticServer> {
  let root: string;
  try {
    root = await realpath(resolve(folder));
  } catch {
    throw new InputError(`${folder} does not exist`, 'build the page first: npm run build:web');
  }
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const file = await resolveFile(root, req.url ?? '/');
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      res.writeHead(200, {
        'content-type': MIME[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
        'content-length': file.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file.path)
        .on('error', () => res.destroy())
        .pipe(res);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        fail(
          new InputError(
            `port ${port} on 127.0.0.1 is taken`,
            'choose another with --port N, or --port 0 for any free one',
          ),
        );
      else if (err.code === 'EACCES')
        fail(new InputError(`port ${port} may not be used by this user`, 'choose a port above 1023 with --port N'));
      else fail(err);
    });
    server.listen(port, '127.0.0.1', () => done());
  });
  const actual = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The built page of this package (dist-web/ beside dist/ and src/). */
export function pageFolder(): string {
  // fileURLToPath, not URL.pathname: an install path with a space or '%' is percent-encoded in the URL.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist-web');
}
