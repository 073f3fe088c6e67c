// Child process for test/io: starts `count` atomic writes into `folder` and, without waiting for their
// temporary files to be created (the opens are still on libuv's thread pool), sends itself `signal`.
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/io/atomic-write.js';

const args = JSON.parse(process.argv[2]!) as { folder: string; count: number; signal: NodeJS.Signals };
for (let i = 0; i < args.count; i++) {
  writeFileAtomic(join(args.folder, `out${i}.onnx`), [new Uint8Array(1 << 20)]).catch(() => {});
}
process.kill(process.pid, args.signal);
