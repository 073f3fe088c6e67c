/**
 * Issue 9's own adversarial pass: cases chosen as an attacker or a careless user would, across outputs,
 * model paths, params, external data, validation inputs and library misuse. Each says what it found
 * (fixed: a bug this pass fixed; held: it already behaved). Refusals: exit 2, a short message naming the
 * file, tensor or value and the way out, no stack trace, nothing written, every input unchanged. Cases
 * that could block on a FIFO or a device run as real processes, so a regression fails instead of hanging.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { DataLocation, DataType, type ModelProto, type TensorProto } from '../../src/codec/types.js';
import { InputError, UsageError } from '../../src/errors.js';
import { makeAttribute, makeNode, makeTensor } from '../../src/graph/factory.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { injectSge } from '../../src/sge/inject.js';
import { listSites } from '../../src/sge/list.js';
import { parseSgeParams } from '../../src/sge/params.js';
import { stripSge } from '../../src/sge/strip.js';
import { validateSge } from '../../src/validate/node/validate-sge.js';
import {
  cli,
  type CliResult,
  expectRefusal,
  RESNET13,
  RESNET13_PARAMS,
  snapshot,
  spawnCli,
  subFolder,
  tempFiles,
  tempFolder,
} from './helpers.js';
import { okConvModel, writeModel } from './models.js';

const root = tempFolder('adv');
const asRoot = process.getuid?.() === 0;
const AFTER = ['-g', '8', '--after', '*/conv3/Conv'];
const TEST_DATA = join(RESNET13.replace(/\.onnx$/, ''), 'test_data_set_0');

/** A CLI case: `setup` fills its own folder and returns the arguments (run in that folder). */
interface Case {
  readonly name: string;
  readonly found: 'fixed' | 'held';
  readonly setup: (dir: string) => string[] | Promise<string[]>;
  /** Exit status and what stderr says (refusals), or 0 and what stdout says. */
  readonly status: 0 | 1 | 2;
  readonly says?: readonly RegExp[];
  /** Run as a real process (cases that would block on a FIFO or a device if they regressed). */
  readonly process?: boolean;
  /** Extra checks after the run (the folder snapshot is always checked for refusals). */
  readonly after?: (dir: string, r: CliResult) => void;
  readonly rootOnly?: boolean;
}

const resnetIn = (d: string, name = 'model.onnx'): string => {
  const p = join(d, name);
  copyFileSync(RESNET13, p);
  return p;
};
const fifo = (p: string): string => {
  execFileSync('mkfifo', [p]);
  return p;
};
const charDevice = (p: string, minor = 5): string => {
  execFileSync('mknod', [p, 'c', '1', String(minor)]); // 1,5: a /dev/zero of our own
  return p;
};
const withOut = (d: string): string => {
  mkdirSync(join(d, 'out'), { recursive: true });
  return join(d, 'out', 'o.onnx');
};

/** The resnet with external data beside it, its first external reference edited by `edit`. */
async function externalModel(
  d: string,
  edit?: (entries: Map<string, string>, t: TensorProto) => void,
): Promise<string> {
  const path = join(d, 'm.onnx');
  await saveModel(await loadModel(RESNET13), path, { externalData: true });
  if (edit) {
    const m = decodeModel(new Uint8Array(readFileSync(path)));
    const t = m.graph!.initializer.find((x) => x.data_location === DataLocation.EXTERNAL)!;
    const entries = new Map(t.external_data.map((e) => [e.key ?? '', e.value ?? '']));
    edit(entries, t);
    t.external_data = [...entries].map(([key, value]) => ({ key, value }));
    writeFileSync(path, encodeModel(m));
  }
  return path;
}

/** An injected copy of the resnet in `d` (for validate and strip cases). */
async function injected(d: string, name = 'sge.onnx'): Promise<string> {
  const path = join(d, name);
  const m = await loadModel(RESNET13);
  injectSge(m, { after: ['*/conv3/Conv'], groups: 8 });
  await saveModel(m, path);
  return path;
}

const cases: Case[] = [
  // ---- outputs ----
  {
    name: 'A1 -o a unix socket',
    found: 'fixed',
    setup: (d) => {
      const sock = join(d, 's.sock');
      // A socket file that outlives its server (Node's own servers unlink theirs on close).
      execFileSync('/usr/bin/python3', [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        sock,
      ]);
      return [resnetIn(d), ...AFTER, '-o', sock];
    },
    status: 2,
    says: [/s\.sock exists and is a socket, not a regular file/],
  },
  {
    name: 'A2 -o a symbolic link to a regular file: the link and its file stay',
    found: 'fixed',
    setup: (d) => {
      writeFileSync(join(d, 'real.onnx'), 'keep');
      symlinkSync(join(d, 'real.onnx'), join(d, 'link.onnx'));
      return [resnetIn(d), ...AFTER, '-o', join(d, 'link.onnx')];
    },
    status: 2,
    says: [/link\.onnx exists and is a symbolic link \(to .*real\.onnx\)/, /→ .*give the path it points to/],
  },
  {
    name: 'A3 -o a dangling symbolic link',
    found: 'fixed',
    setup: (d) => {
      symlinkSync(join(d, 'nowhere'), join(d, 'dangling.onnx'));
      return [resnetIn(d), ...AFTER, '-o', join(d, 'dangling.onnx')];
    },
    status: 2,
    says: [/dangling\.onnx exists and is a symbolic link/],
  },
  {
    name: 'A4 -o a path under a FIFO',
    found: 'held',
    setup: (d) => [resnetIn(d), ...AFTER, '-o', join(fifo(join(d, 'p')), 'o.onnx')],
    status: 2,
    says: [/p is not a folder/],
  },
  {
    name: 'A5 -o into a missing folder',
    found: 'held',
    setup: (d) => [resnetIn(d), ...AFTER, '-o', join(d, 'missing', 'o.onnx')],
    status: 2,
    says: [/output folder .*missing does not exist/],
  },
  {
    name: 'A6 -o a name longer than the file system allows (300 bytes)',
    found: 'fixed',
    setup: (d) => [resnetIn(d), ...AFTER, '-o', join(d, `${'n'.repeat(300)}.onnx`)],
    status: 2,
    says: [/the name is too long for the file system/, /→ choose a shorter output name/],
  },
  {
    name: 'A7 -o a name of 240 bytes: written (the temporary name no longer passes 255 bytes)',
    found: 'fixed',
    setup: (d) => [resnetIn(d), ...AFTER, '-o', join(d, `${'n'.repeat(235)}.onnx`)],
    status: 0,
    says: [/wrote .*n{235}\.onnx/],
    after: (d) => {
      expect(existsSync(join(d, `${'n'.repeat(235)}.onnx`))).toBe(true);
      expect(tempFiles(d)).toEqual([]);
    },
  },
  {
    name: 'A8 -o the model spelled another way (sub/../model.onnx)',
    found: 'held',
    setup: (d) => {
      mkdirSync(join(d, 'sub'));
      return [resnetIn(d), ...AFTER, '-o', join(d, 'sub', '..', 'model.onnx')];
    },
    status: 2,
    says: [/is the input model/, /--overwrite/],
  },
  {
    // It was written (replacing only that name of the file): the model by identity, so refused.
    name: 'A9 -o a hard link of the model',
    found: 'fixed',
    setup: (d) => {
      const m = resnetIn(d);
      linkSync(m, join(d, 'hard.onnx'));
      return [m, ...AFTER, '-o', join(d, 'hard.onnx')];
    },
    status: 2,
    says: [/hard\.onnx is the input model/],
  },
  {
    name: 'A10 --overwrite through a symbolic link to the model: refused, the model unchanged',
    found: 'fixed',
    setup: (d) => {
      const m = resnetIn(d);
      symlinkSync(m, join(d, 'alias.onnx'));
      return [join(d, 'alias.onnx'), ...AFTER, '--overwrite', '-o', join(d, 'alias.onnx')];
    },
    status: 2,
    says: [/alias\.onnx exists and is a symbolic link/],
  },
  {
    name: 'A11 strip -o the model itself',
    found: 'held',
    setup: async (d) => {
      const s = await injected(d);
      return ['strip', s, '-o', s];
    },
    status: 2,
    says: [/is the input model/],
  },
  {
    name: 'A12 --dry-run with -o a FIFO: nothing is written, nothing refused',
    found: 'held',
    process: true,
    setup: (d) => [resnetIn(d), ...AFTER, '--dry-run', '-o', fifo(join(d, 'p'))],
    status: 0,
    says: [/dry run: nothing written/],
    after: (d) => expect(lstatSync(join(d, 'p')).isFIFO()).toBe(true),
  },
  {
    name: 'A13 -o a block device node (made with mknod, never opened)',
    found: 'fixed',
    rootOnly: true,
    setup: (d) => {
      execFileSync('mknod', [join(d, 'blk'), 'b', '7', '250']);
      return [resnetIn(d), ...AFTER, '-o', join(d, 'blk')];
    },
    status: 2,
    says: [/blk exists and is a block device/],
  },
  {
    name: 'A14 -o newdir/ (a folder that does not exist yet): no file called newdir',
    found: 'fixed',
    setup: (d) => [resnetIn(d), ...AFTER, '-o', `${join(d, 'newdir')}/`],
    status: 2,
    says: [/newdir\/ ends with '\/', which names a folder/],
  },
  {
    name: 'A15 strip -o a symbolic link',
    found: 'fixed',
    setup: async (d) => {
      const s = await injected(d);
      writeFileSync(join(d, 'target.onnx'), 'keep');
      symlinkSync(join(d, 'target.onnx'), join(d, 'link.onnx'));
      return ['strip', s, '-o', join(d, 'link.onnx')];
    },
    status: 2,
    says: [/link\.onnx exists and is a symbolic link/],
  },
  {
    name: 'A16 -o an existing folder',
    found: 'held',
    setup: (d) => {
      mkdirSync(join(d, 'dir'));
      return [resnetIn(d), ...AFTER, '-o', join(d, 'dir')];
    },
    status: 2,
    says: [/dir is a folder/],
  },
  // ---- the model's path ----
  {
    name: 'B1 the model is a FIFO',
    found: 'held',
    process: true,
    setup: (d) => [fifo(join(d, 'm.onnx')), ...AFTER],
    status: 2,
    says: [/m\.onnx is not a regular file/],
  },
  {
    name: 'B2 the model is a character device (/dev/zero made with mknod)',
    found: 'held',
    process: true,
    rootOnly: true,
    setup: (d) => [charDevice(join(d, 'm.onnx')), ...AFTER],
    status: 2,
    says: [/m\.onnx is not a regular file/],
  },
  {
    // The new check for misspelled commands first took 'l1' for one (near 'ci'); it looks at entries now.
    name: 'B3 the model is a symbolic link loop named like a command word (l1)',
    found: 'held',
    process: true,
    setup: (d) => {
      symlinkSync(join(d, 'l2'), join(d, 'l1'));
      symlinkSync(join(d, 'l1'), join(d, 'l2'));
      return ['l1', '--after', 'x'];
    },
    status: 2,
    says: [/l1: too many levels of symbolic links/],
  },
  {
    name: 'B4 a model name longer than the file system allows',
    found: 'fixed',
    setup: (d) => [join(d, `${'m'.repeat(300)}.onnx`), '--after', 'x'],
    status: 2,
    says: [/the name is too long for the file system/],
  },
  {
    name: 'B5 list of a FIFO',
    found: 'held',
    process: true,
    setup: (d) => ['list', fifo(join(d, 'm.onnx'))],
    status: 2,
    says: [/not a regular file/],
  },
  {
    name: "B6 'cj' is one slip from the command ci",
    found: 'fixed',
    setup: () => ['cj', RESNET13],
    status: 2,
    says: [/unknown command 'cj' \(did you mean 'ci'\?\)/],
  },
  // ---- --params ----
  {
    name: 'C1 --params a FIFO (it used to hang, waiting for a writer)',
    found: 'fixed',
    process: true,
    setup: (d) => [resnetIn(d), '--after', '*/conv3/Conv', '--params', fifo(join(d, 'p.json'))],
    status: 2,
    says: [/p\.json: the params file is a FIFO \(named pipe\), not a regular file/],
  },
  {
    name: 'C2 --params a /dev/zero of our own (it used to read forever)',
    found: 'fixed',
    process: true,
    rootOnly: true,
    setup: (d) => [resnetIn(d), '--after', '*/conv3/Conv', '--params', charDevice(join(d, 'zero'))],
    status: 2,
    says: [/zero: the params file is a character device/],
  },
  {
    name: 'C3 --params a folder',
    found: 'held',
    setup: (d) => {
      mkdirSync(join(d, 'p'));
      return [resnetIn(d), '--after', '*/conv3/Conv', '--params', join(d, 'p')];
    },
    status: 2,
    says: [/p is a folder, not a params file/],
  },
  {
    name: 'C4 --params a symbolic link to a FIFO',
    found: 'fixed',
    process: true,
    setup: (d) => {
      symlinkSync(fifo(join(d, 'pipe')), join(d, 'p.json'));
      return [resnetIn(d), '--after', '*/conv3/Conv', '--params', join(d, 'p.json')];
    },
    status: 2,
    says: [/p\.json: the params file is a FIFO/],
  },
  {
    name: "C5 --params with a site named '__proto__': an unused entry, no prototype games",
    found: 'held',
    setup: (d) => {
      const text = readFileSync(RESNET13_PARAMS, 'utf8').replace(
        '"params": {',
        '"params": {"__proto__": {"weight": [1,1,1,1,1,1,1,1], "bias": [0,0,0,0,0,0,0,0]}, ',
      );
      writeFileSync(join(d, 'p.json'), text);
      return [resnetIn(d), '--after', '*/conv3/Conv', '--params', join(d, 'p.json'), '-o', withOut(d)];
    },
    status: 0,
    says: [/warning: the params file has entries for sites not selected: __proto__/],
  },
  {
    name: 'C6 --params with groups 1e309 (Infinity in JSON)',
    found: 'held',
    setup: (d) => {
      writeFileSync(join(d, 'p.json'), readFileSync(RESNET13_PARAMS, 'utf8').replace('"groups": 8', '"groups": 1e309'));
      return [resnetIn(d), '--after', '*/conv3/Conv', '--params', join(d, 'p.json')];
    },
    status: 2,
    says: [/"groups" must be a positive integer/],
  },
  {
    name: 'C7 --params an empty file',
    found: 'held',
    setup: (d) => {
      writeFileSync(join(d, 'p.json'), '');
      return [resnetIn(d), '--after', '*/conv3/Conv', '--params', join(d, 'p.json')];
    },
    status: 2,
    says: [/p\.json is not valid JSON/],
  },
  // ---- external data ----
  ...(
    [
      ['D1 a Windows drive location', 'C:\\w.bin'],
      ['D2 a backslash location that climbs out', 'a\\..\\w.bin'],
      ['D3 the location "."', '.'],
    ] as const
  ).map(
    ([name, location]): Case => ({
      name,
      found: 'fixed',
      setup: async (d) => [await externalModel(d, (e) => e.set('location', location)), ...AFTER, '-o', withOut(d)],
      status: 2,
      says: [/keeps its data at '.*', which is absolute or outside the model's folder/],
    }),
  ),
  {
    name: 'D4 a data file that is a FIFO (it used to be called missing; reading it would block)',
    found: 'fixed',
    process: true,
    setup: async (d) => [
      await externalModel(d, (e) => {
        e.set('location', 'pipe.bin');
        fifo(join(d, 'pipe.bin'));
      }),
      ...AFTER,
      '-o',
      withOut(d),
    ],
    status: 2,
    says: [/keeps its data in 'pipe\.bin', which is a FIFO \(named pipe\), not a regular file/],
  },
  {
    name: 'D5 a data file that is a folder',
    found: 'fixed',
    setup: async (d) => [
      await externalModel(d, (e) => {
        e.set('location', 'weights');
        mkdirSync(join(d, 'weights'));
      }),
      ...AFTER,
      '-o',
      withOut(d),
    ],
    status: 2,
    says: [/keeps its data in 'weights', which is a folder, not a regular file/],
  },
  {
    name: 'D6 an offset that is not a number',
    found: 'held',
    setup: async (d) => [await externalModel(d, (e) => e.set('offset', '12abc')), ...AFTER, '-o', withOut(d)],
    status: 2,
    says: [/has external data offset '12abc', not a byte count/],
  },
  {
    name: 'D7 a length of 2^60',
    found: 'held',
    setup: async (d) => [
      await externalModel(d, (e) => e.set('length', '1152921504606846976')),
      ...AFTER,
      '-o',
      withOut(d),
    ],
    status: 2,
    says: [/length '1152921504606846976', not a byte count/],
  },
  {
    name: 'D8 a data file that is a symbolic link out of the folder (a Hugging Face cache): kept working',
    found: 'held',
    setup: async (d) => {
      const m = await externalModel(d);
      mkdirSync(join(d, 'blobs'));
      copyFileSync(`${m}.data`, join(d, 'blobs', 'abc123'));
      const snap = subFolder(d, 'snapshot');
      copyFileSync(m, join(snap, 'm.onnx'));
      symlinkSync(join(d, 'blobs', 'abc123'), join(snap, 'm.onnx.data'));
      return [join(snap, 'm.onnx'), ...AFTER, '-o', withOut(d)];
    },
    status: 0,
    says: [/copied external data/],
  },
  {
    name: 'D9 a data file shorter than the tensor, no length in the reference',
    found: 'fixed',
    setup: async (d) => {
      const m = await externalModel(d, (e) => {
        e.delete('length');
        e.set('offset', '0');
      });
      writeFileSync(`${m}.data`, new Uint8Array(16));
      return [m, ...AFTER, '-o', withOut(d)];
    },
    status: 2,
    says: [/initializer '.*' needs bytes 0\.\.\d+ of 'm\.onnx\.data', which has only 16 bytes/],
  },
  {
    name: 'D10 an external tensor with no location',
    found: 'held',
    setup: async (d) => [await externalModel(d, (e) => e.delete('location')), ...AFTER, '-o', withOut(d)],
    status: 2,
    says: [/is marked as external data but has no location/],
  },
  {
    name: "D11 a Constant node's tensor in external data at '../../etc/passwd'",
    found: 'fixed',
    setup: (d) => {
      const m = okConvModel();
      const t = makeTensor('', [1], new Float32Array(1));
      delete t.raw_data;
      t.data_location = DataLocation.EXTERNAL;
      t.external_data = [{ key: 'location', value: '../../etc/passwd' }];
      m.graph!.node.push(
        makeNode({ op_type: 'Constant', name: 'k', output: ['k'], attribute: [makeAttribute('value', { tensor: t })] }),
      );
      return [writeModel(join(d, 'm.onnx'), m), '--after', 'conv', '-g', '2', '-o', withOut(d)];
    },
    status: 2,
    says: [/attribute 'value' of node 'k' keeps its data at '\.\.\/\.\.\/etc\/passwd'/],
  },
  {
    name: 'D12 validate a model whose data file is a FIFO (onnxruntime would wait on it)',
    found: 'fixed',
    process: true,
    setup: async (d) => {
      const m = await externalModel(d, (e) => {
        e.set('location', 'pipe.bin');
        fifo(join(d, 'pipe.bin'));
      });
      return ['validate', m, m, '--runs', '0'];
    },
    status: 2,
    says: [/keeps its data in 'pipe\.bin', which is a FIFO/],
  },
  {
    name: 'D13 validate a model whose data location is absolute: refused before onnxruntime',
    found: 'fixed',
    setup: async (d) => {
      const m = await externalModel(d, (e) => e.set('location', '/etc/hostname'));
      return ['validate', m, m, '--runs', '0'];
    },
    status: 2,
    says: [/keeps its data at '\/etc\/hostname', which is absolute/],
  },
  {
    name: 'D14 strip of a model whose data file was truncated',
    found: 'held',
    setup: async (d) => {
      const m = await externalModel(d);
      const s = join(d, 'sge.onnx');
      const model = await loadModel(m);
      injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
      await saveModel(model, s);
      writeFileSync(`${m}.data`, readFileSync(`${m}.data`).subarray(0, 1000));
      return ['strip', s, '-o', withOut(d)];
    },
    status: 2,
    says: [/which has only 1000 bytes/],
  },
  {
    name: "D15 --dry-run of a model with a '..' location: refused too",
    found: 'fixed',
    setup: async (d) => [await externalModel(d, (e) => e.set('location', '../x.bin')), ...AFTER, '--dry-run'],
    status: 2,
    says: [/keeps its data at '\.\.\/x\.bin'/],
  },
  // ---- validation inputs ----
  {
    name: 'E1 --inputs with a FIFO named input_0.pb (it used to hang)',
    found: 'fixed',
    process: true,
    setup: async (d) => {
      mkdirSync(join(d, 'in'));
      fifo(join(d, 'in', 'input_0.pb'));
      return ['validate', RESNET13, await injected(d), '--inputs', join(d, 'in'), '--runs', '0'];
    },
    status: 2,
    says: [/input_0\.pb: the input file is a FIFO/],
  },
  {
    name: 'E2 --inputs with input.npy linked to a /dev/zero of our own',
    found: 'fixed',
    process: true,
    rootOnly: true,
    setup: async (d) => {
      mkdirSync(join(d, 'in'));
      symlinkSync(charDevice(join(d, 'zero')), join(d, 'in', 'input.npy'));
      return ['validate', RESNET13, await injected(d), '--inputs', join(d, 'in'), '--runs', '0'];
    },
    status: 2,
    says: [/input\.npy: the input file is a character device/],
  },
  {
    name: 'E3 --inputs names a file, not a folder',
    found: 'held',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--inputs', RESNET13],
    status: 2,
    says: [/--inputs .*cannot read the folder/],
  },
  {
    name: 'E4 an input .pb stored as external data at an absolute path',
    found: 'held',
    setup: async (d) => {
      mkdirSync(join(d, 'in'));
      const t = makeTensor('input', [1, 3, 96, 96], new Float32Array(0));
      delete t.raw_data;
      t.data_location = DataLocation.EXTERNAL;
      t.external_data = [{ key: 'location', value: '/etc/hostname' }];
      const { onnxRoot } = await import('../../src/codec/schema.js');
      writeFileSync(
        join(d, 'in', 'input_0.pb'),
        onnxRoot
          .lookupType('onnx.TensorProto')
          .encode(t as never)
          .finish(),
      );
      return ['validate', RESNET13, await injected(d), '--inputs', join(d, 'in'), '--runs', '0'];
    },
    status: 2,
    says: [/input_0\.pb: stored as external data/],
  },
  {
    name: 'E5 an .npy whose header claims 3·10^10 elements over 64 bytes',
    found: 'held',
    setup: async (d) => {
      mkdirSync(join(d, 'in'));
      let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 100000, 100000), }";
      header = `${header}${' '.repeat(118 - header.length)}\n`;
      const bytes = new Uint8Array(10 + header.length + 64);
      bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
      bytes.set(new TextEncoder().encode(header), 10);
      writeFileSync(join(d, 'in', 'input.npy'), bytes);
      return ['validate', RESNET13, await injected(d), '--inputs', join(d, 'in'), '--runs', '0'];
    },
    status: 2,
    says: [/64 bytes of data for 30000000000 float32 elements/],
  },
  {
    name: 'E6 --dim batch=-1',
    found: 'held',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--dim', 'batch=-1'],
    status: 2,
    says: [/--dim batch=-1: expected NAME=VALUE with a positive integer/],
  },
  {
    name: 'E7 --runs 1e3',
    found: 'held',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--runs', '1e3'],
    status: 2,
    says: [/--runs '1e3' is not valid/],
  },
  {
    name: 'E8 --seed 99999999999999999999 (it was taken modulo 2^32 without a word)',
    found: 'fixed',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--seed', '99999999999999999999'],
    status: 2,
    says: [/--seed '99999999999999999999' is too large/],
  },
  {
    name: 'E9 --atol NaN',
    found: 'held',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--atol', 'NaN'],
    status: 2,
    says: [/--atol 'NaN' is not a non-negative number/],
  },
  {
    name: 'E10 --inputs beside --shape',
    found: 'held',
    setup: async (d) => ['validate', RESNET13, await injected(d), '--inputs', TEST_DATA, '--shape', 'input=1x3x96x96'],
    status: 2,
    says: [/--inputs and --shape\/--dim exclude each other/],
  },
  {
    name: 'E11 inject --validate --runs -1: refused before anything is written',
    found: 'held',
    setup: (d) => [resnetIn(d), ...AFTER, '--validate', '--runs', '-1', '-o', withOut(d)],
    status: 2,
    says: [/--runs '-1' is not valid: it must be positive/],
  },
];

describe('adversarial cases through the CLI', { timeout: 240_000 }, () => {
  for (const c of cases) {
    it.runIf(!c.rootOnly || asRoot)(`${c.name} (${c.found})`, async () => {
      const dir = subFolder(root, c.name.slice(0, 3));
      const argv = await c.setup(dir);
      const before = snapshot(dir);
      const r = c.process ? await spawnCli(argv, { cwd: dir }) : await cli(argv);
      if (c.status === 0) {
        expect(r.status, r.stderr).toBe(0);
        for (const re of c.says ?? []) expect(r.stdout).toMatch(re);
      } else {
        expectRefusal(r, { status: c.status, says: c.says ?? [] });
        expect(snapshot(dir)).toEqual(before);
        for (const sub of [dir, ...readdirSync(dir).map((n) => join(dir, n))]) {
          if (lstatSync(sub).isDirectory()) expect(tempFiles(sub)).toEqual([]);
        }
      }
      c.after?.(dir, r);
    });
  }
});

describe('adversarial cases through the library', () => {
  const fresh = (): ModelProto => decodeModel(new Uint8Array(readFileSync(RESNET13)));
  const unchanged = (m: ModelProto, fn: () => unknown, kind: unknown, says: RegExp): void => {
    const before = Buffer.from(encodeModel(m));
    expect(fn).toThrow(kind as typeof Error);
    expect(fn).toThrow(says);
    expect(Buffer.from(encodeModel(m)).equals(before)).toBe(true);
  };

  it('F1 after: [] is a UsageError (held)', () => {
    unchanged(fresh(), () => injectSge(fresh(), { after: [] }), UsageError, /no site chosen/);
  });

  it('F2 groups NaN or Infinity: UsageError naming --groups (held)', () => {
    for (const groups of [Number.NaN, Number.POSITIVE_INFINITY, 0, -8, 2.5]) {
      const m = fresh();
      unchanged(
        m,
        () => injectSge(m, { after: ['*/conv3/Conv'], groups }),
        UsageError,
        /groups must be a positive whole number/,
      );
    }
  });

  it('F3 opTypes: [] is a TypeError naming it (fixed: the message ended in "not ")', () => {
    const m = fresh();
    unchanged(
      m,
      () => injectSge(m, { after: ['*/conv3/Conv'], groups: 8, opTypes: [] }),
      TypeError,
      /options\.opTypes is empty/,
    );
  });

  it('F4 injecting twice into one model object: the second is refused, the model as after the first (held)', () => {
    const m = fresh();
    injectSge(m, { after: ['*/conv3/Conv'], groups: 8 });
    unchanged(m, () => injectSge(m, { after: ['*/conv3/Conv'], groups: 8 }), InputError, /already has an SGE/);
  });

  it('F5 listSites(model, null) is a TypeError (fixed: a raw "cannot read properties of null")', () => {
    expect(() => listSites(fresh(), null as never)).toThrow(/listSites: options must be an object/);
  });

  it("F6 a frozen model.functions array: TypeError before any change (fixed: ownArray's push threw half-way)", () => {
    const m = fresh();
    m.functions = [];
    Object.freeze(m.functions);
    unchanged(m, () => injectSge(m, { after: ['*/conv3/Conv'], groups: 8 }), TypeError, /the model is frozen/);
  });

  it('F7 stripSge on a frozen injected model: TypeError, unchanged (fixed)', () => {
    const m = fresh();
    injectSge(m, { after: ['*/conv3/Conv'], groups: 8 });
    Object.freeze(m.graph!);
    unchanged(m, () => stripSge(m), TypeError, /stripSge: graph 'main' is frozen/);
  });

  it('F8 a hand-built model without opset_import: TypeError naming the model (fixed)', () => {
    const m = { graph: fresh().graph } as unknown as ModelProto;
    expect(() => injectSge(m, { after: ['x'] })).toThrow(/injectSge: model must be a ModelProto/);
  });

  it('F9 params parsed for another G: UsageError naming both (held)', () => {
    const params = parseSgeParams(new Uint8Array(readFileSync(RESNET13_PARAMS)), 'p.json');
    const m = fresh();
    unchanged(
      m,
      () => injectSge(m, { after: ['*/conv3/Conv'], groups: 4, params }),
      UsageError,
      /contradicts the params file's groups 8/,
    );
  });

  it('F10 saveModel to a FIFO or to "dir/": InputError, nothing written (fixed)', async () => {
    const dir = subFolder(root, 'F10');
    const p = fifo(join(dir, 'p'));
    await expect(saveModel(fresh(), p)).rejects.toThrow(/is a FIFO \(named pipe\), not a regular file/);
    await expect(saveModel(fresh(), `${join(dir, 'x')}/`)).rejects.toThrow(/ends with '\/', which names a folder/);
    expect(readdirSync(dir)).toEqual(['p']);
    expect(lstatSync(p).isFIFO()).toBe(true);
  });

  it('F11 loadModel({ loadExternal }) with a data file that is a FIFO: InputError, no hang (fixed)', async () => {
    const dir = subFolder(root, 'F11');
    const m = await externalModel(dir, (e) => {
      e.set('location', 'pipe.bin');
      fifo(join(dir, 'pipe.bin'));
    });
    await expect(loadModel(m, { loadExternal: true })).rejects.toThrow(/which is a FIFO/);
  });

  it('F12 validateSge with runs -1: UsageError (held)', async () => {
    const dir = subFolder(root, 'F12');
    await expect(validateSge(RESNET13, await injected(dir), { runs: -1 })).rejects.toThrow(UsageError);
  });

  it('F13 a float16 conv whose weight claims 2^62 channels (int64 past 2^53): refused, not a RangeError (fixed)', () => {
    const m = okConvModel();
    m.graph!.initializer[0]!.dims = [
      { low: 0, high: 0x40000000, unsigned: false, toNumber: () => 2 ** 62 } as never,
      8,
      1,
      1,
    ];
    m.graph!.initializer[0]!.data_type = DataType.FLOAT16;
    unchanged(
      m,
      () => injectSge(m, { after: ['conv'], groups: 2 }),
      InputError,
      /channel count unknown|has element type/,
    );
  });
});
