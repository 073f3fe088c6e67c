/**
 * Turns Node file-system errors into InputErrors that name the path and say the way out. Errors
 * this layer does not recognise are returned unchanged (they are bugs or unexpected states).
 */
import { InputError } from '../errors.js';

interface ErrnoLike {
  code?: string;
  message?: string;
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as ErrnoLike).code : undefined;
}

/** An error from reading `path` (a model or an external data file), as an InputError when it is the user's to fix. */
export function readError(err: unknown, path: string, what = 'model file'): unknown {
  switch (codeOf(err)) {
    case 'ENOENT':
      return new InputError(`${path}: no such ${what}`, 'check the path (relative paths start at the current folder)', {
        cause: err,
      });
    case 'ENOTDIR':
      return new InputError(`${path}: no such ${what} (a part of the path is not a folder)`, 'check the path', {
        cause: err,
      });
    case 'EISDIR':
      return new InputError(`${path} is a folder, not a ${what}`, `give the path of the ${what} inside it`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new InputError(`${path}: cannot read the ${what} (permission denied)`, 'check its permissions', {
        cause: err,
      });
    case 'ELOOP':
      return new InputError(`${path}: too many levels of symbolic links`, 'check the link', { cause: err });
    case 'ENAMETOOLONG':
      return new InputError(`${path}: the name is too long for the file system`, 'check the path', { cause: err });
    case 'EIO':
      return new InputError(
        `${path}: input/output error while reading the ${what}`,
        'the disk or network share may be failing',
        { cause: err },
      );
    case 'ERR_FS_FILE_TOO_LARGE':
      return new InputError(
        `${path}: larger than 2 GiB, which no ONNX model file can be (protobuf's limit)`,
        'models this large keep their weights in external data files beside the .onnx',
        { cause: err },
      );
    default:
      return err;
  }
}

/** An error from writing into `folder` (the output folder), as an InputError when it is the user's to fix. */
export function writeError(err: unknown, folder: string, target: string): unknown {
  switch (codeOf(err)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new InputError(
        `output folder ${folder} does not exist`,
        'create it first, or choose another output path',
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new InputError(
        `cannot write ${target}: permission denied in ${folder}`,
        'choose an output folder you can write to',
        { cause: err },
      );
    case 'EROFS':
      return new InputError(
        `cannot write ${target}: ${folder} is on a read-only file system`,
        'choose another output folder',
        { cause: err },
      );
    case 'ENOSPC':
      return new InputError(
        `cannot write ${target}: no space left on the device`,
        'free some space or choose another output folder',
        { cause: err },
      );
    case 'EDQUOT':
      return new InputError(
        `cannot write ${target}: disk quota exceeded`,
        'free some space or choose another output folder',
        { cause: err },
      );
    case 'EFBIG':
      return new InputError(
        `cannot write ${target}: the file is larger than this system allows (file size limit)`,
        'raise the file size limit (ulimit -f) or use external data',
        { cause: err },
      );
    case 'EIO':
      return new InputError(`cannot write ${target}: input/output error`, 'the disk or network share may be failing', {
        cause: err,
      });
    case 'EISDIR':
      return new InputError(`cannot write ${target}: it is a folder`, 'give a file path for the output', {
        cause: err,
      });
    case 'ENAMETOOLONG':
      return new InputError(
        `cannot write ${target}: the name is too long for the file system (255 bytes at most per name)`,
        'choose a shorter output name',
        { cause: err },
      );
    default:
      return err;
  }
}
