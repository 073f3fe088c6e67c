/** Running a serialized model in onnxruntime-node from tests. */
import type * as Ort from 'onnxruntime-node';

/** A feed: float32 data, or float16 bit patterns as Uint16Array. */
export interface Feed {
  readonly data: Float32Array | Uint16Array | BigInt64Array;
  readonly dims: readonly number[];
}

let ort: typeof Ort | undefined;

/** Runs `model` once on the CPU with `feeds`; returns every output's data and dims. */
export async function runOrt(
  model: Uint8Array,
  feeds: Readonly<Record<string, Feed>>,
  options: Ort.InferenceSession.SessionOptions = {},
): Promise<Record<string, { data: Float32Array | Uint16Array; dims: readonly number[] }>> {
  ort ??= await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, ...options });
  try {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const type = f.data instanceof Uint16Array ? 'float16' : f.data instanceof BigInt64Array ? 'int64' : 'float32';
      ortFeeds[name] = new ort.Tensor(type, f.data, [...f.dims]);
    }
    const result = await session.run(ortFeeds);
    const out: Record<string, { data: Float32Array | Uint16Array; dims: readonly number[] }> = {};
    for (const [name, t] of Object.entries(result)) {
      out[name] = { data: t.data as Float32Array | Uint16Array, dims: t.dims };
    }
    return out;
  } finally {
    await session.release();
  }
}

/** The model onnxruntime runs after its graph optimizations (level 'all'), as saved by it to `path`. */
export async function optimizedByOrt(model: Uint8Array, path: string): Promise<Uint8Array> {
  ort ??= await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, optimizedModelFilePath: path });
  await session.release();
  const { readFileSync } = await import('node:fs');
  return new Uint8Array(readFileSync(path));
}
