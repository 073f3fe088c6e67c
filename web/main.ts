/**
 * The page: reads the files the user picks or drops, sends them to the worker, and shows what it
 * answers (summary, the `list` table, reports and errors as the CLI prints them). Nothing heavy runs
 * here, so the page keeps answering input while the worker works.
 */
import { formatDims } from '../src/shell/table.js';
import { listSummary } from '../src/shell/list.js';
import { formatBytes, type ModelSummary } from '../src/shell/summary.js';
import type { ListReport } from '../src/sge/list.js';
import { WorkerClient, WorkerError } from './client.js';
import type { FormOptions, Output, Result } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const modelInput = $<HTMLInputElement>('model');
const dataInput = $<HTMLInputElement>('data');
const afterInput = $<HTMLInputElement>('after');
const excludeInput = $<HTMLInputElement>('exclude');
const groupsInput = $<HTMLInputElement>('groups');
const paramsInput = $<HTMLInputElement>('params');
const inlineBox = $<HTMLInputElement>('inline');
const forceBox = $<HTMLInputElement>('force');
const buttons = {
  inject: $<HTMLButtonElement>('inject'),
  validate: $<HTMLButtonElement>('validate'),
  strip: $<HTMLButtonElement>('strip'),
  fuse: $<HTMLButtonElement>('fuse'),
};
const downloadButton = $<HTMLButtonElement>('download');
const progress = $<HTMLProgressElement>('progress');
const status = $<HTMLSpanElement>('status');
const report = $<HTMLPreElement>('report');
const count = $<HTMLParagraphElement>('count');

const worker = new WorkerClient(new URL('./worker.js', import.meta.url));

let modelFile: File | undefined;
let dataFiles: File[] = [];
let output: Output | undefined;
let listSeq = 0;

/** Patterns as typed: separated by white space (a pattern may hold commas, e.g. re:a{1,2}). */
function patterns(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

function formOptions(): FormOptions {
  return {
    after: patterns(afterInput.value),
    exclude: patterns(excludeInput.value),
    groups: groupsInput.value,
    inline: inlineBox.checked,
    force: forceBox.checked,
  };
}

function showText(text: string, verdict?: 'pass' | 'fail'): void {
  report.textContent = text;
  report.className = verdict ?? '';
}

function showError(err: unknown): void {
  const lines = err instanceof WorkerError ? err.text.lines : [`sge-inject: ${String(err)}`];
  showText(lines.join('\n'), 'fail');
}

/** Runs one command with the buttons disabled and the progress bar shown; errors go to the report. */
async function busy<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
  for (const b of Object.values(buttons)) b.disabled = true;
  document.body.dataset.busy = 'true';
  progress.hidden = false;
  progress.removeAttribute('value');
  status.textContent = label;
  try {
    return await work();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    for (const b of Object.values(buttons)) b.disabled = false;
    progress.hidden = true;
    status.textContent = '';
    document.body.dataset.busy = 'false';
  }
}

function onProgress(message: string, fraction?: number): void {
  status.textContent = message;
  if (fraction === undefined) progress.removeAttribute('value');
  else progress.value = fraction;
}

function setOutput(o: Output | undefined): void {
  output = o;
  downloadButton.disabled = !o;
  downloadButton.textContent = 'Download';
  downloadButton.title = o ? o.name : '';
}

function renderSummary(s: ModelSummary | undefined): void {
  const section = $<HTMLElement>('summary');
  const list = $<HTMLDListElement>('summary-list');
  list.replaceChildren();
  section.hidden = !s;
  if (!s) return;
  const io = (v: ModelSummary['inputs']) => v.map((x) => `${x.name}: ${x.type} ${x.shape}`).join('\n') || '—';
  const rows: [string, string][] = [
    ['file', s.file],
    ['size', `${formatBytes(s.bytes)} (${s.bytes} bytes)`],
    ['IR version', String(s.irVersion)],
    ['opsets', s.opsets.join(', ')],
    ['producer', s.producer || '—'],
    ['inputs', io(s.inputs)],
    ['outputs', io(s.outputs)],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dd.style.whiteSpace = 'pre-line';
    list.append(dt, dd);
  }
}

/** A pattern that matches exactly this name (the selection stays visible in After/Exclude). */
function exactPattern(name: string): string {
  return `re:^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s/g, '\\s')}$`;
}

function renderList(r: ListReport | undefined, patternsGiven: boolean): void {
  const body = $<HTMLTableElement>('sites').tBodies[0]!;
  body.replaceChildren();
  $<HTMLParagraphElement>('list-summary').textContent = r ? listSummary(r, patternsGiven) : '';
  if (!r) return;
  $<HTMLTableCellElement>('div-col').textContent = `÷${r.groups}`;
  for (const row of r.rows) {
    const tr = document.createElement('tr');
    if (patternsGiven && row.selected) tr.className = 'selected';
    const pick = document.createElement('input');
    pick.type = 'checkbox';
    pick.checked = patternsGiven && row.selected;
    pick.setAttribute('aria-label', `pick ${row.name}`);
    pick.addEventListener('change', () => {
      const field = pick.checked ? afterInput : excludeInput;
      const other = pick.checked ? excludeInput : afterInput;
      const p = exactPattern(row.name);
      other.value = patterns(other.value)
        .filter((x) => x !== p)
        .join(' ');
      if (!patterns(field.value).includes(p) && (pick.checked || patterns(afterInput.value).length))
        field.value = [...patterns(field.value), p].join(' ');
      void refreshList();
    });
    const cells = [
      row.name,
      row.output === row.name ? '' : row.output,
      row.channels === null ? '?' : String(row.channels),
      formatDims(row.spatial),
      row.divisible === null ? '?' : row.divisible ? 'yes' : 'no',
      row.injectable ? 'yes' : `no: ${row.blocker}`,
      patternsGiven ? (row.selected ? 'yes' : '') : '',
      row.sge ?? (row.exported ? (row.exported.status === 'candidate' ? 'candidate' : 'near miss') : ''),
      row.graph === 'main' ? '' : row.graph,
    ];
    const first = document.createElement('td');
    first.append(pick);
    tr.append(first);
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (i === 2) td.className = 'num';
      tr.append(td);
    });
    body.append(tr);
  }
}

/** Re-lists with the current options; only the newest answer is shown. */
async function refreshList(): Promise<void> {
  if (!modelFile) return;
  const seq = ++listSeq;
  const options = formOptions();
  try {
    const r = (await worker.request({ type: 'list', options })) as Extract<Result, { type: 'list' }>;
    if (seq !== listSeq) return;
    renderList(r.report, options.after.length > 0);
    count.textContent = options.after.length
      ? `${r.selected} site${r.selected === 1 ? '' : 's'} selected of ${r.report.rows.length}`
      : `${r.report.rows.length} convolutions; type a pattern in After or pick rows`;
  } catch (err) {
    if (seq !== listSeq) return;
    count.textContent = err instanceof WorkerError ? err.text.lines.join(' ') : String(err);
  }
}

let debounce: ReturnType<typeof setTimeout> | undefined;
for (const field of [afterInput, excludeInput, groupsInput]) {
  field.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void refreshList(), 120);
  });
}

async function openModel(file: File, data: File[]): Promise<void> {
  modelFile = undefined;
  setOutput(undefined);
  renderSummary(undefined);
  renderList(undefined, false);
  count.textContent = '';
  await busy(`opening ${file.name}`, async () => {
    const r = (await worker.request({ type: 'open', model: file, data })) as Extract<Result, { type: 'open' }>;
    modelFile = file;
    renderSummary(r.summary);
    showText(`opened ${file.name} (${formatBytes(file.size)})`);
    await refreshList();
  });
}

modelInput.addEventListener('change', () => {
  const f = modelInput.files?.[0];
  if (f) void openModel(f, dataFiles);
});
dataInput.addEventListener('change', () => {
  dataFiles = [...(dataInput.files ?? [])];
  const f = modelFile ?? modelInput.files?.[0];
  if (f) void openModel(f, dataFiles);
});

document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const files = [...(e.dataTransfer?.files ?? [])];
  const model = files.find((f) => /\.onnx$/i.test(f.name)) ?? files[0];
  if (!model) return;
  dataFiles = files.filter((f) => f !== model);
  void openModel(model, dataFiles);
});

async function produce(body: Parameters<WorkerClient['request']>[0], label: string): Promise<void> {
  setOutput(undefined);
  const r = await busy(label, () => worker.request(body, [], onProgress));
  if (r && 'output' in r) {
    setOutput(r.output);
    showText(r.text);
  }
}

buttons.inject.addEventListener('click', async () => {
  const params = paramsInput.files?.[0];
  await produce({ type: 'inject', options: formOptions(), ...(params ? { params } : {}) }, 'injecting');
});
buttons.strip.addEventListener('click', () => void produce({ type: 'strip' }, 'stripping'));
buttons.fuse.addEventListener('click', () => void produce({ type: 'fuse', options: formOptions() }, 'fusing'));
buttons.validate.addEventListener('click', async () => {
  const r = await busy('validating', () => worker.request({ type: 'validate' }, [], onProgress));
  if (r && r.type === 'validate') showText(r.text, r.passed ? 'pass' : 'fail');
});

downloadButton.addEventListener('click', () => {
  if (!output) return;
  const url = URL.createObjectURL(output.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = output.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
});

document.body.dataset.busy = 'false';
document.body.dataset.ready = 'true';
