/** `sge-inject web [--port N]`: serves the page (dist-web/) on 127.0.0.1 until interrupted. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { parseInteger } from '../shell/parse.js';
import type { CliIo } from './io.js';
import { EXIT_OK } from './exit-codes.js';
import type { WebCliOptions } from './program.js';
import { pageFolder, serveFolder } from './static-server.js';

/** Serves the page; resolves when the server stops (SIGINT/SIGTERM), with the exit status. */
export async function runWeb(options: WebCliOptions, io: CliIo, folder = pageFolder()): Promise<number> {
  const port = parseInteger('--port', options.port);
  if (port < 0 || port > 65535)
    throw new InputError(`--port '${options.port}' is not a port (0 to 65535)`, 'e.g. --port 8765');
  if (!existsSync(join(folder, 'index.html')))
    throw new InputError(
      `the web page is not built: ${join(folder, 'index.html')} is missing`,
      'in a checkout, run `npm run build:web` (the published package includes it)',
    );
  const server = await serveFolder(folder, port);
  io.stdout(`sge-inject web page: ${server.url}\n(serving ${folder} on 127.0.0.1 only; Ctrl+C stops it)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT_OK;
}
