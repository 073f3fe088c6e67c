/** Writes a new external data file from its planned pieces, streaming carried-over ranges. */
import type { PendingFile } from './atomic-write.js';
import type { DataPiece } from './external-plan.js';
import { openDataFile } from './external-files.js';

/** Carried-over ranges are copied through a buffer of this size, never read whole. */
const STREAM_PIECE = 16 << 20;

async function streamRange(out: PendingFile, file: string, offset: number, length: number): Promise<void> {
  const data = await openDataFile(file);
  try {
    for (let done = 0; done < length; done += STREAM_PIECE) {
      const piece = await data.read(offset + done, Math.min(STREAM_PIECE, length - done));
      await out.write([piece]);
    }
  } finally {
    await data.close();
  }
}

/** Appends the pieces to `out` in order; in-memory bytes go out as views, in batched writev calls. */
export async function writeDataPieces(out: PendingFile, pieces: readonly DataPiece[]): Promise<void> {
  let zeros = new Uint8Array(0);
  let batch: Uint8Array[] = [];
  for (const p of pieces) {
    if (p.kind === 'bytes') {
      batch.push(p.data);
    } else if (p.kind === 'zeros') {
      if (zeros.length < p.length) zeros = new Uint8Array(p.length);
      batch.push(zeros.subarray(0, p.length));
    } else {
      await out.write(batch);
      batch = [];
      await streamRange(out, p.file, p.offset, p.length);
    }
  }
  await out.write(batch);
}
