/**
 * onnxruntime-node behind a wrapper that records every session validation opens: the options it was
 * created with, its output count, and how many sessions were alive at once.
 */
import * as ort from 'onnxruntime-node';
import type { OrtModule } from '../../src/validate/session.js';

/** One session as it was created. */
export interface SessionRecord {
  /** graphOptimizationLevel as passed (undefined: onnxruntime's default, 'all'). */
  readonly level: string | undefined;
  /** intraOpNumThreads as passed (undefined: onnxruntime chooses). */
  readonly threads: number | undefined;
  readonly outputs: number;
}

/** The wrapper and what it saw. */
export interface RecordingOrt {
  readonly ort: OrtModule;
  readonly sessions: SessionRecord[];
  mostAlive(): number;
}

export function recordingOrt(): RecordingOrt {
  let alive = 0;
  let most = 0;
  const sessions: SessionRecord[] = [];
  const create = (async (model: unknown, options?: ort.InferenceSession.SessionOptions) => {
    const session = await (ort.InferenceSession.create as (...a: unknown[]) => Promise<ort.InferenceSession>)(
      model,
      options,
    );
    sessions.push({
      level: options?.graphOptimizationLevel,
      threads: options?.intraOpNumThreads,
      outputs: session.outputNames.length,
    });
    most = Math.max(most, ++alive);
    const release = session.release.bind(session);
    session.release = async () => {
      alive--;
      await release();
    };
    return session;
  }) as typeof ort.InferenceSession.create;
  return {
    ort: { env: ort.env, Tensor: ort.Tensor, InferenceSession: { ...ort.InferenceSession, create } } as OrtModule,
    sessions,
    mostAlive: () => most,
  };
}
