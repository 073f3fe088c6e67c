/**
 * Finding exported SGE blocks. A block ends in a gate: a Mul of a view of some tensor X by an
 * elementwise function of something computed from X. Each such Mul is evaluated backwards
 * (interpret.ts) as SGE terms under two assignments of X's unknown dims (batch 2 and 3; spatial
 * dims, when unknown, two sets of small sizes), so shape arithmetic read at run time and batch sizes
 * baked in as b·G are both checked as what they compute, not as a node sequence. A block whose output
 * is X's shape again and whose terms carry no defect is a candidate; one that got as far as the
 * similarity of positions to the channel means but then differs is a near miss with its reasons.
 *
 * Blocks are found in graph order, and the shape of each block's output (X's) is fed back into the
 * shape inference, since the inference cannot follow the dynamic reshapes inside an exported block.
 */
import type { ModelProto, NodeProto } from '../../codec/types.js';
import { DataType } from '../../codec/types.js';
import { int64ToNumber } from '../../codec/int64.js';
import { ModelIndex } from '../../graph/model-index.js';
import type { GraphScope } from '../../graph/scopes.js';
import { isDefaultDomain } from '../../graph/opset.js';
import { inferModelShapes, type TensorInfo } from '../../graph/shapes.js';
import type { Dim } from '../../graph/dims.js';
import { SUPPORTED_ELEM_TYPES } from '../conventions.js';
import '../shape-rule.js'; // shape inference learns the SGE operator
import { siteName } from '../sites.js';
import { BlockInterpreter, isViewOp, type Value } from './interpret.js';
import { inputLayout, sameLayout } from './layout.js';
import { type Frame, type Param, paramValues, SGE_LIKE_STAGE, stageOfValue } from './terms.js';
import { dataTypeName } from '../../tensor/type-name.js';

/** An exported SGE block, or something that looks like one. */
export interface ExportedBlock {
  readonly scope: GraphScope;
  /** The block input and output tensors. */
  readonly x: string;
  readonly y: string;
  /** The site it would become: the name of the node that produces X ('' when none does). */
  readonly site: string;
  /** The node that produces X. */
  readonly producer?: NodeProto;
  /** Every node of the block (shape arithmetic and constants included), in graph order. */
  readonly nodes: readonly NodeProto[];
  /** X's shape as far as the model says (batch usually symbolic). */
  readonly shape?: readonly Dim[];
  readonly elemType: number;
  readonly channels?: number;
  readonly groups?: number;
  /** The parameters as the block applies them (present on candidates). */
  readonly weight?: Param;
  readonly bias?: Param;
  /** Why it is not SGE (empty for a candidate). */
  readonly reasons: readonly string[];
}

/** A block that passed the structural and constant checks. */
export type CandidateBlock = ExportedBlock & {
  readonly producer: NodeProto;
  readonly channels: number;
  readonly groups: number;
  readonly weight: Param;
  readonly bias: Param;
};

/** True for a block with no reason against it. */
export function isCandidate(b: ExportedBlock): b is CandidateBlock {
  return b.reasons.length === 0;
}

/** The recovered weight and bias of a candidate, one value per group. */
export function blockParameters(b: CandidateBlock): { weight: Float64Array; bias: Float64Array } {
  return { weight: paramValues(b.weight), bias: paramValues(b.bias) };
}

const GATE_OPS = new Set(['Sigmoid', 'Tanh', 'HardSigmoid', 'Relu', 'Softsign', 'Softplus', 'Exp', 'Erf']);
/** Values unknown dims take in the two frames: batch first, then spatial dims in order. */
const FRAME_BATCH = [2, 3] as const;
const FRAME_SPATIAL = [
  [5, 7, 3],
  [6, 4, 5],
] as const;

/**
 * Every exported SGE block and near miss of `model`, in graph order (read-only: no onnxruntime, no
 * edits). Candidates still need the onnxruntime proof (proof.ts) before they are fused.
 */
export function findExportedBlocks(model: ModelProto, index = new ModelIndex(model)): ExportedBlock[] {
  const anchors = gateMuls(index);
  const found = new Map<NodeProto, ExportedBlock>();
  const known = new Map<string, TensorInfo>();
  // One pass in graph order: each gate Mul is analysed when inference reaches it (its X is upstream),
  // and a block found tells inference its output's shape before the nodes after it are reached.
  const anchorOf = new Map(anchors.map((a) => [a.node, a]));
  const settled = new Set<NodeProto>();
  let shapes = inferModelShapes(index, undefined, (node, infos) => {
    const a = anchorOf.get(node);
    if (!a) return;
    const result = analyzeAnchor(index, a, infos, false);
    if (result === 'later') return;
    settled.add(a.node);
    if (!result) return;
    found.set(a.node, result);
    const info = infos.get(result.x);
    if (info?.shape && !infos.get(result.y)?.shape) {
      infos.set(result.y, info);
      known.set(result.y, info);
    }
  });
  // What the pass could not resolve (a graph out of order, say): rounds, each feeding back what it found.
  let pending = anchors.filter((a) => !settled.has(a.node));
  // Each round resolves the anchors whose X has a known rank; a found block tells the next round
  // the shape of its output, which is the next block's input after a few more convolutions.
  for (;;) {
    const next: typeof pending = [];
    let learned = false;
    for (const a of pending) {
      const result = analyzeAnchor(index, a, shapes, false);
      if (result === 'later') next.push(a);
      else if (result) {
        found.set(a.node, result);
        const info = shapes.get(result.x);
        if (info?.shape && !known.has(result.y)) {
          known.set(result.y, info);
          learned = true;
        }
      }
    }
    pending = next;
    if (!learned || pending.length === 0) break;
    shapes = inferModelShapes(index, known);
  }
  for (const a of pending) {
    const result = analyzeAnchor(index, a, shapes, true);
    if (result && result !== 'later') found.set(a.node, result);
  }
  return dropOverlaps(anchors.flatMap((a) => (found.has(a.node) ? [found.get(a.node)!] : [])));
}

interface Anchor {
  readonly node: NodeProto;
  readonly scope: GraphScope;
}

/** Mul nodes of two computed operands, one of them the output of a possible gate (or a view of it). */
function gateMuls(index: ModelIndex): Anchor[] {
  const out: Anchor[] = [];
  for (const scope of index.scopes) {
    for (const node of scope.graph.node) {
      if (node.op_type !== 'Mul' || !isDefaultDomain(node.domain) || node.input.length !== 2) continue;
      // The gate may reach the Mul through views (an Unsqueeze to the layout of X's groups).
      if (node.input.some((i) => isGate(index.producer(viewRoot(index, i))?.node))) out.push({ node, scope });
    }
  }
  return out;
}

const isGate = (p: NodeProto | undefined): boolean =>
  p !== undefined && GATE_OPS.has(p.op_type ?? '') && isDefaultDomain(p.domain);

/** The tensor a chain of views starts from. */
function viewRoot(index: ModelIndex, name: string): string {
  let current = name;
  for (let i = 0; i < 64; i++) {
    const p = index.producer(current)?.node;
    if (!p || !isViewOp(p) || !p.input[0]) return current;
    current = p.input[0];
  }
  return current;
}

/** The frames to evaluate a block under, or why there are none. */
function framesFor(shape: readonly Dim[], channels: number | undefined): Frame[] | string {
  if (shape.length < 3) return `X has rank ${shape.length}; SGE needs [N, C, ...spatial]`;
  const c = typeof shape[1] === 'number' ? shape[1] : channels;
  if (c === undefined || c < 1) return "X's channel count is unknown";
  return FRAME_BATCH.map((batch, f) => {
    const dims = shape.map((d, i) => {
      if (typeof d === 'number') return d;
      if (i === 0) return batch;
      if (i === 1) return c;
      return FRAME_SPATIAL[f]![(i - 2) % 3]!;
    });
    const positions = dims.slice(2).reduce((a, b) => a * b, 1);
    return { dims, channels: c, positions, spatial: { lo: 1, hi: positions } };
  });
}

/** Channels of X from the producing Conv's weight, when the shape does not say. */
function convChannels(index: ModelIndex, producer: NodeProto | undefined): number | undefined {
  if (producer?.op_type !== 'Conv') return undefined;
  const w = index.initializer(producer.input[1] ?? '');
  return w && w.dims.length > 0 ? int64ToNumber(w.dims[0]) : undefined;
}

/**
 * Analyzes one gate Mul: the block it ends, a near miss, null when it is not SGE-like at all, or
 * 'later' when X's rank is not known yet (and `assumeRank` is false).
 */
function analyzeAnchor(
  index: ModelIndex,
  anchor: Anchor,
  shapes: ReadonlyMap<string, TensorInfo>,
  assumeRank: boolean,
): ExportedBlock | null | 'later' {
  let best: { block: ExportedBlock; stage: number } | undefined;
  let waiting = false;
  for (const operand of anchor.node.input) {
    const x = viewRoot(index, operand);
    if (isGate(index.producer(x)?.node)) continue; // the gate side
    const info = shapes.get(x);
    let shape = info?.shape;
    if (!shape) {
      if (!assumeRank) {
        waiting = true;
        continue;
      }
      shape = [undefined, undefined, undefined, undefined]; // a 2-D feature map, the common case
    }
    const result = analyzeBlock(index, anchor, x, shape, info?.elemType);
    if (result && (!best || result.stage > best.stage)) best = result;
  }
  if (best) return best.block;
  return waiting ? 'later' : null;
}

function analyzeBlock(
  index: ModelIndex,
  anchor: Anchor,
  x: string,
  shape: readonly Dim[],
  elemType: number | undefined,
): { block: ExportedBlock; stage: number } | null {
  const producerRef = index.producer(x);
  const producer = producerRef?.node;
  const frames = framesFor(shape, convChannels(index, producer));
  if (typeof frames === 'string') return null;
  const gated = anchor.node.output[0] ?? '';
  const results = frames.map((frame) => evaluateBlock(index, x, frame, gated));
  const worst = results.find((r) => r.value.kind !== 'data') ?? results[0]!;
  const stage = Math.min(...results.map((r) => stageOfValue(r.value)));
  const first = results[0]!;
  if (Math.max(stageOfValue(worst.value), stage) < SGE_LIKE_STAGE) return null;
  const reasons: string[] = [];
  if (worst.value.kind === 'unknown') reasons.push(worst.value.reason);
  else if (worst.value.kind === 'data') reasons.push(...worst.value.term.defects);
  const term = first.value.kind === 'data' ? first.value.term : undefined;
  const channels = frames[0]!.channels;
  if (!producer)
    reasons.push(`the block input '${x}' is not made by a node (a site is named after the node producing X)`);
  else if (producer.output[0] !== x)
    reasons.push(
      `the block input '${x}' is output ${producer.output.indexOf(x)} of '${siteName(producer)}'; sites follow a node's first output`,
    );
  const type = elemType ?? DataType.FLOAT;
  if (!SUPPORTED_ELEM_TYPES.has(type))
    reasons.push(`X has element type ${dataTypeName(type)}; SGE sites are float32 or float16`);
  const spatial = shape.slice(2);
  if (spatial.length > 0 && spatial.every((d) => d === 1))
    reasons.push("a 1×1 spatial map: SGE's std over one position is undefined (NaN)");
  const block: ExportedBlock = {
    scope: index.producer(first.y)?.scope ?? anchor.scope,
    x,
    y: first.y,
    site: producer ? siteName(producer) : '',
    producer,
    nodes: inGraphOrder(index, first.nodes),
    shape,
    elemType: type,
    channels,
    groups: term?.groups,
    weight: term?.weight,
    bias: term?.bias,
    reasons: [...new Set(reasons)],
  };
  return { block, stage: Math.max(stage, stageOfValue(worst.value)) };
}

interface Evaluation {
  readonly value: Value;
  readonly y: string;
  readonly nodes: ReadonlySet<NodeProto>;
}

/** Evaluates the gate's output and the views after it; Y is the last that has X's layout again. */
function evaluateBlock(index: ModelIndex, x: string, frame: Frame, gated: string): Evaluation {
  const interp = new BlockInterpreter(index, x, frame);
  const chain = [gated];
  for (let i = 0; i < 16; i++) {
    const last = chain[chain.length - 1]!;
    const uses = index.consumers(last);
    const only = uses.length === 1 && uses[0]!.kind === 'node' ? uses[0]!.node : undefined;
    if (!only || !isViewOp(only) || only.input[0] !== last || !only.output[0]) break;
    chain.push(only.output[0]);
  }
  const target = inputLayout(frame.dims);
  let chosen: { name: string; value: Value } | undefined;
  for (const name of chain) {
    const value = interp.value(name);
    if (value.kind !== 'data') {
      chosen ??= { name, value };
      break;
    }
    if (value.term.kind === 'out' && sameLayout(value.layout, target)) chosen = { name, value };
  }
  const gatedValue = interp.value(gated);
  if (!chosen) {
    chosen = {
      name: gated,
      value:
        gatedValue.kind === 'data'
          ? {
              kind: 'unknown',
              reason: `the gated output '${gated}' is not reshaped back to X's shape`,
              stage: stageOfValue(gatedValue),
            }
          : gatedValue,
    };
  }
  return { value: chosen.value, y: chosen.name, nodes: ancestorsWithin(index, chosen.name, interp.nodes) };
}

/** The visited nodes that `name` depends on (the walk may have evaluated views past Y). */
function ancestorsWithin(index: ModelIndex, name: string, visited: ReadonlySet<NodeProto>): Set<NodeProto> {
  const out = new Set<NodeProto>();
  const stack = [name];
  while (stack.length) {
    const n = stack.pop()!;
    const p = index.producer(n)?.node;
    if (!p || !visited.has(p) || out.has(p)) continue;
    out.add(p);
    for (const i of p.input) if (i) stack.push(i);
  }
  return out;
}

function inGraphOrder(index: ModelIndex, nodes: ReadonlySet<NodeProto>): NodeProto[] {
  const out: NodeProto[] = [];
  for (const scope of index.scopes) for (const n of scope.graph.node) if (nodes.has(n)) out.push(n);
  return out;
}

/**
 * Two blocks may share constants and shape arithmetic, not computation on data: a later block that
 * overlaps an earlier one is reported, not fused.
 */
function dropOverlaps(blocks: readonly ExportedBlock[]): ExportedBlock[] {
  const claimed = new Map<NodeProto, ExportedBlock>();
  return blocks.map((b) => {
    if (b.reasons.length) return b;
    const computing = b.nodes.filter((n) => n.input.length > 0 && n.op_type !== 'Shape');
    const other = computing.map((n) => claimed.get(n)).find((o) => o !== undefined);
    if (other) return { ...b, reasons: [`it overlaps the block after '${other.site || other.x}'`] };
    for (const n of computing) claimed.set(n, b);
    return b;
  });
}
