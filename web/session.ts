/**
 * What the worker does, without the Worker API: the opened model and the last result, and each command
 * as the CLI runs it (decode → list/inject/strip/fuse → encode → report; validate), calling the same
 * library and shell functions. Runs in Node too, which is how its output is compared with the CLI's.
 */
import { decodeModel } from '../src/codec/decode.js';
import { concatChunks, encodeModelChunks, MAX_MESSAGE_BYTES, type EncodedChunks } from '../src/codec/encode.js';
import type { ModelProto } from '../src/codec/types.js';
import { InputError } from '../src/errors.js';
import { inlineExternalData } from '../src/external/inline.js';
import type { ExternalDataSource } from '../src/external/reader.js';
import { fuseSge } from '../src/sge/fuse/fuse.js';
import { injectSge } from '../src/sge/inject.js';
import { listSites } from '../src/sge/list.js';
import { parseSgeParams } from '../src/sge/params.js';
import { stripSge } from '../src/sge/strip.js';
import { formatFuseReport, nothingToFuse } from '../src/shell/fuse.js';
import { formatInjectReport, noSiteChosen } from '../src/shell/inject.js';
import { formatListReport } from '../src/shell/list.js';
import { parsePositiveInt } from '../src/shell/parse.js';
import { formatStripReport, nothingToStrip } from '../src/shell/strip.js';
import { formatBytes, summarizeModel } from '../src/shell/summary.js';
import { formatReport } from '../src/validate/report.js';
import type { OrtModule } from '../src/validate/session.js';
import type { ProgressEvent } from '../src/validate/settings.js';
import { validateModels } from '../src/validate/validate-models.js';
import { validationFailedLine } from '../src/shell/validation.js';
import type { FormOptions, Output, Result } from './protocol.js';

/** A picked file, by name. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** `resnet50.onnx` → `resnet50`, as the CLI names its default outputs. */
export function stem(name: string): string {
  return name.replace(/\.onnx$/i, '');
}

/** The picked data files as an external data source; a file not picked is named, with the way out. */
function pickedFiles(files: readonly NamedBytes[]): ExternalDataSource {
  return {
    async open(location) {
      // A location may name a sub-folder; the browser gives only base names.
      const base = location.split('/').pop() ?? location;
      const f = files.find((x) => x.name === location) ?? files.find((x) => x.name === base);
      if (!f) throw new InputError(`'${base}' was not picked: choose it under "Data files" with the model`);
      return { size: f.bytes.length, read: async (o, l) => f.bytes.subarray(o, o + l), close: async () => {} };
    },
  };
}

/** The page's state in the worker: the opened model's bytes, its data files and the last model made. */
export class WebSession {
  #model?: NamedBytes;
  #data: readonly NamedBytes[] = [];
  /** The last model made, and (after Fuse) the blocks it replaced, which Validate judges its sites against. */
  #last?: {
    readonly kind: 'inject' | 'strip' | 'fuse';
    /** Its encoding: pieces, mostly views of the opened file's bytes (joined only when validated). */
    readonly encoded: EncodedChunks;
    readonly replacedBlocks?: readonly { readonly input: string; readonly output: string }[];
  };

  /** @param loadOrt onnxruntime (onnxruntime-web in the page), loaded only when a command runs a model. */
  constructor(private readonly loadOrt: () => Promise<OrtModule>) {}

  /** Opens a model: decodes it (the CLI's messages for bad files) and reads its external data from `data`. */
  async open(model: NamedBytes, data: readonly NamedBytes[]): Promise<Result> {
    this.#model = undefined;
    this.#last = undefined;
    this.#data = data;
    const decoded = await this.#decode(model, data);
    this.#model = model;
    return { type: 'open', summary: summarizeModel(decoded, model.name, model.bytes.length) };
  }

  /** The `list` table for the form's options, and how many rows they select. */
  async list(options: FormOptions): Promise<Result> {
    const model = await this.#fresh();
    const patterns = options.after.length > 0;
    const report = listSites(model, { after: options.after, exclude: options.exclude, groups: groups(options) });
    const selected = patterns ? report.rows.filter((r) => r.selected).length : 0;
    return { type: 'list', report, text: formatListReport(report, patterns), selected };
  }

  /** Injects as `sge-inject MODEL --after … -o <stem>.sge.onnx` does; the output is offered for download. */
  async inject(options: FormOptions, paramsFile?: NamedBytes): Promise<Result> {
    if (!options.after.length) throw noSiteChosen();
    const g = groups(options);
    const params = paramsFile ? parseSgeParams(paramsFile.bytes, paramsFile.name) : undefined;
    const model = await this.#fresh();
    const report = injectSge(model, {
      after: options.after,
      exclude: options.exclude,
      groups: g,
      params,
      inline: options.inline,
      force: options.force,
    });
    const output = this.#output(model, 'inject', '.sge.onnx');
    return { type: 'inject', text: formatInjectReport(report, ready(output)), output };
  }

  /** Strips as `sge-inject strip MODEL` does. */
  async strip(): Promise<Result> {
    const model = await this.#fresh();
    const report = stripSge(model);
    if (report.sites.length === 0) throw nothingToStrip(this.#model!.name);
    const output = this.#output(model, 'strip', '.nosge.onnx');
    return { type: 'strip', text: formatStripReport(report, ready(output)), output };
  }

  /** Fuses as `sge-inject fuse MODEL` does, proving each block in onnxruntime-web. */
  async fuse(options: FormOptions): Promise<Result> {
    const model = await this.#fresh();
    const report = await fuseSge(model, { ort: await this.loadOrt(), inline: options.inline });
    if (report.sites.length === 0) throw nothingToFuse(this.#model!.name, report.nearMisses);
    const output = this.#output(model, 'fuse', '.fused.onnx');
    // As `fuse --validate`: each site is judged against the block it replaced.
    this.#last = { ...this.#last!, replacedBlocks: report.sites.map((s) => ({ input: s.input, output: s.output })) };
    return { type: 'fuse', text: formatFuseReport(report, ready(output)), output };
  }

  /**
   * Validates the last model made against the opened one, as `sge-inject validate` does (same checks,
   * same report); `onProgress` hears each step.
   */
  async validate(onProgress: (e: ProgressEvent) => void): Promise<Result> {
    if (!this.#last)
      throw new InputError('nothing to validate yet', 'press Inject (or Fuse) first: Validate checks its result');
    const original = await this.#fresh();
    const rewritten = decodeModel(concatChunks(this.#last.encoded), { source: 'the rewritten model' });
    const report = await validateModels({
      ort: this.loadOrt,
      original: { model: original, name: this.#model!.name },
      rewritten: { model: rewritten, name: 'the rewritten model' },
      ...(this.#last.replacedBlocks ? { replacedBlocks: this.#last.replacedBlocks } : {}),
      onProgress,
    });
    const text = formatReport(report) + (report.passed ? '' : `${validationFailedLine(report.failures)}\n`);
    return { type: 'validate', text, passed: report.passed };
  }

  /** A fresh decode of the opened model: every command starts from the file, as each CLI run does. */
  async #fresh(): Promise<ModelProto> {
    if (!this.#model)
      throw new InputError('no model open', 'choose a .onnx file under "Model" (or drop it on the page)');
    return this.#decode(this.#model, this.#data);
  }

  async #decode(file: NamedBytes, data: readonly NamedBytes[]): Promise<ModelProto> {
    const model = decodeModel(file.bytes, { source: file.name });
    await inlineExternalData(model, pickedFiles(data), file.name);
    return model;
  }

  #output(model: ModelProto, kind: 'inject' | 'strip' | 'fuse', suffix: string): Output {
    const encoded = encodeModelChunks(model);
    if (encoded.byteLength > MAX_MESSAGE_BYTES)
      throw new InputError(
        `the result would be ${encoded.byteLength} bytes, more than one .onnx file can hold (${MAX_MESSAGE_BYTES})`,
        'the page saves one self-contained file; use the CLI (`npx sge-inject`), which writes large tensors to external data',
      );
    this.#last = { kind, encoded };
    // The Blob is made here from the pieces (its one copy, off the page's thread).
    const blob = new Blob(encoded.chunks as Uint8Array<ArrayBuffer>[], { type: 'application/octet-stream' });
    return { name: `${stem(this.#model!.name)}${suffix}`, blob, size: encoded.byteLength };
  }
}

/** Groups from the form: the CLI's --groups rule, and its message. */
function groups(options: FormOptions): number | undefined {
  return options.groups.trim() === '' ? undefined : parsePositiveInt('--groups', options.groups);
}

function ready(output: { name: string; size: number }): string {
  return `ready to download: ${output.name} (${formatBytes(output.size)})`;
}
