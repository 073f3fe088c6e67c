/** Where the CLI writes: injected streams so tests can capture output without spawning a process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stderr is a terminal (progress lines are shown only then). */
  readonly stderrIsTty: boolean;
}

let guarded = false;

/**
 * A reader that goes away (`sge-inject list m.onnx | head`) makes writes fail with EPIPE, which Node
 * raises as an 'error' event: unhandled, it crashes the process with a stack trace, possibly in the
 * middle of saving a model. Output nobody reads is dropped instead and the work goes on.
 */
function guardStreams(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', () => {
      /* nowhere left to report it */
    });
}

/** The process's own streams. */
export function processIo(): CliIo {
  guardStreams();
  return {
    stdout: (t) => {
      if (process.stdout.writable) process.stdout.write(t);
    },
    stderr: (t) => {
      if (process.stderr.writable) process.stderr.write(t);
    },
    stderrIsTty: Boolean(process.stderr.isTTY),
  };
}
