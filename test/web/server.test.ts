/**
 * The server of `sge-inject web`: only files inside the folder, with the MIME types module scripts and
 * wasm need, on 127.0.0.1 only; a missing page or a taken port is bad input with a way out.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder, type StaticServer } from '../../src/cli/static-server.js';
import { runWeb } from '../../src/cli/web-command.js';
import { InputError } from '../../src/errors.js';
import { tempFolder } from '../io/tmp.js';

/** A raw GET (no URL normalisation by a client library), status, type and body. */
function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('the page server', () => {
  const dir = tempFolder('serve');
  const site = join(dir, 'site');
  let server: StaticServer;
  beforeAll(async () => {
    mkdirSync(join(site, 'ort'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<!doctype html>');
    writeFileSync(join(site, 'main.js'), 'export {}');
    writeFileSync(join(site, 'ort', 'x.mjs'), 'export {}');
    writeFileSync(join(site, 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    symlinkSync(join(dir, 'secret.txt'), join(site, 'link.txt'));
    server = await serveFolder(site, 0);
  });
  afterAll(() => server?.close());

  it('serves the files with the types browsers require', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(await get(server.port, '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(await get(server.port, '/main.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get(server.port, '/ort/x.mjs')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get(server.port, '/ort/x.wasm')).toMatchObject({ status: 200, type: 'application/wasm' });
  });

  it('refuses every path out of the folder, and what is not there', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/ort/..%2f..%2fsecret.txt',
      '/link.txt',
      '/nope.js',
      '/%00',
    ]) {
      const r = await get(server.port, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('outside');
    }
  });

  it('says what to do when the page is not built or the port is taken', async () => {
    const io = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };
    await expect(runWeb({ port: '0' }, io, join(dir, 'empty'))).rejects.toThrow(
      /the web page is not built: .*index\.html is missing/,
    );
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await runWeb({ port: String(port) }, io, site).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toBe(`port ${port} on 127.0.0.1 is taken`);
      expect((err as InputError).hint).toMatch(/--port/);
    } finally {
      blocker.close();
    }
    await expect(runWeb({ port: '70000' }, io, site)).rejects.toThrow(/not a port/);
  });
});
