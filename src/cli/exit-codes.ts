/** Exit statuses of the command-line tool. */
export const EXIT_OK = 0;
/** Validation found a mismatch, or onnxruntime could not run a model. */
export const EXIT_VALIDATION = 1;
/** Bad usage or bad input. */
export const EXIT_USAGE = 2;
/** An internal error: a bug in sge-inject (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
