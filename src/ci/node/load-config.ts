/**
 * A ci config file in Node: read, parsed (../config.ts), every path resolved against the config's
 * folder and checked to exist and be of the right kind, so that a bad config is refused (exit 2)
 * before any job starts.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { readError } from '../../io/fs-errors.js';
import { CONFIG_HINT, jobPlace, parseCiConfig, problemsError, type CiJob } from '../config.js';
import { JOB_FIELDS } from '../fields.js';

/** A job with its paths resolved (absolute) and the config it came from. */
export interface ResolvedJob extends CiJob {
  /** Position in the config (0-based). */
  readonly index: number;
}

/** A loaded config. */
export interface LoadedConfig {
  /** The config file as given. */
  readonly path: string;
  readonly jobs: readonly ResolvedJob[];
}

/** The default config file name, looked for in the current folder. */
export const DEFAULT_CONFIG = 'sge-inject.json';

/**
 * Reads and checks a config. Paths are resolved against its folder.
 * @throws InputError (exit 2) naming the problem, the job and the key.
 */
export async function loadCiConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new InputError(`${path} is not a file`, 'give the path of the ci config (a JSON file)');
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new InputError(
        `${path}: no such config file`,
        path === DEFAULT_CONFIG
          ? `create ${DEFAULT_CONFIG} here (${CONFIG_HINT}), or give the config's path: sge-inject ci CONFIG`
          : 'check the path (relative paths start at the current folder)',
      );
    }
    throw readError(err, path, 'config file');
  }
  const config = parseCiConfig(text, path);
  const base = dirname(resolve(path));
  const jobs = config.jobs.map((job, index) => resolveJob(job, index, base));
  const problems: string[] = [];
  for (const job of jobs) problems.push(...(await missingFiles(job, config.jobs[job.index]!)));
  if (problems.length) throw problemsError(path, problems, `paths in a config are relative to its folder (${base})`);
  return { path, jobs };
}

function resolveJob(job: CiJob, index: number, base: string): ResolvedJob {
  const at = (p: string) => resolve(base, p);
  return {
    ...job,
    index,
    model: at(job.model),
    ...(job.params !== undefined ? { params: at(job.params) } : {}),
    ...(job.inputs !== undefined ? { inputs: at(job.inputs) } : {}),
    ...(job.testData !== undefined ? { testData: job.testData.map(at) } : {}),
  };
}

/** Every path field of a job that does not name an existing file or folder, as a problem. */
async function missingFiles(job: ResolvedJob, written: CiJob): Promise<string[]> {
  const problems: string[] = [];
  const place = jobPlace(job.index, job.name);
  const check = async (key: string, path: string, shownPath: string, kind: 'file' | 'folder') => {
    const st = await stat(path).catch((err: { code?: string }) => err.code ?? 'unreadable');
    if (typeof st === 'string') {
      problems.push(
        `${place}: "${key}": ${shownPath}: ${st === 'ENOENT' || st === 'ENOTDIR' ? `no such ${kind}` : `cannot be read (${st})`}`,
      );
    } else if (kind === 'file' ? !st.isFile() : !st.isDirectory()) {
      problems.push(`${place}: "${key}": ${shownPath} is not a ${kind}`);
    }
  };
  for (const field of JOB_FIELDS) {
    const kind = field.type.kind;
    if (kind === 'file' || kind === 'folder') {
      const value = (job as unknown as Record<string, unknown>)[field.key];
      if (typeof value === 'string')
        await check(field.key, value, (written as unknown as Record<string, string>)[field.key]!, kind);
    } else if (kind === 'folders') {
      const values = (job as unknown as Record<string, unknown>)[field.key];
      if (Array.isArray(values)) {
        const shown = (written as unknown as Record<string, string[]>)[field.key]!;
        for (let i = 0; i < values.length; i++)
          await check(`${field.key}[${i}]`, values[i] as string, shown[i]!, 'folder');
      }
    }
  }
  return problems;
}
