// Runs a TypeScript script of this folder in a child Node process (through scripts/ts-hooks.mjs), for tests
// that need a process of their own: peak memory, resource limits, signals.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('../../../scripts/register-ts.mjs', import.meta.url));

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last line of stdout parsed as JSON, when it is JSON. */
  readonly json?: Record<string, unknown>;
}

/**
 * Runs `script` (a file name in this folder) with `arg` as a JSON argument.
 * @param ulimitFileBlocks when set, the child runs under `ulimit -f` (1 KiB blocks)
 */
export function runChild(
  script: string,
  arg: unknown,
  options: { ulimitFileBlocks?: number; timeoutMs?: number } = {},
): Promise<ChildResult> {
  const scriptPath = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const argv = ['--import', REGISTER, scriptPath, JSON.stringify(arg)];
  const child =
    options.ulimitFileBlocks !== undefined
      ? spawn('bash', ['-c', `ulimit -f ${options.ulimitFileBlocks} && exec "$0" "$@"`, process.execPath, ...argv], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        /* not JSON */
      }
      resolve({ code, signal, stdout, stderr, ...(json ? { json } : {}) });
    });
  });
}
