/**
 * What each tensor of a candidate block computes, in SGE's own terms. Every tensor derived from the
 * block input X gets a *term*: X itself, a mean of X, X times that mean, the similarity t (its channel
 * sum), t's mean, the centered t − μ, its square, the variance, the standard deviation, the normalized
 * t, the affine a = t̂·w + b, the gate, and the gated output, each with the constant factors the export
 * folded in. Operations combine terms by the algebra below, whatever node sequence the exporter wrote
 * (Div or Mul by a reciprocal, Pow or Sqrt, ReduceMean or ReduceSum and a factor, torch's re-centering
 * before its std, operand order), and the layout (layout.ts) says over which positions each reduction
 * ran. What does not fit becomes `unknown` with the reason; what fits but differs from the reference
 * (sge/reference.ts) keeps going with a *defect*, the named reason users read for a near miss.
 */
import type { NodeProto } from '../../codec/types.js';
import { SGE_EPS } from '../reference.js';
import {
  alignConstant,
  broadcastLayouts,
  describeSpans,
  type Layout,
  reduceLayout,
  sameSpans,
  type Span,
} from './layout.js';
import type { Const } from './constants.js';

/** The steps of SGE in order; a term's stage tells how far into SGE a computation got. */
export const KINDS = [
  'x',
  'xmean',
  'prod',
  'sim',
  'simmean',
  'cent',
  'sq',
  'var',
  'std',
  'recip',
  'norm',
  'affine',
  'gate',
  'out',
] as const;
export type Kind = (typeof KINDS)[number];

/** Stage of a kind (its position in {@link KINDS}). */
export const stageOf = (kind: Kind): number => KINDS.indexOf(kind);

/** Stage from which a computation looks like SGE (the similarity of positions to the channel means). */
export const SGE_LIKE_STAGE = stageOf('sim');

/** sqrt(k · Σ_s (t − μ)² + inside) + after: a standard deviation as the export computes it. */
export interface Spread {
  readonly k: number;
  readonly inside: number;
  readonly after: number;
}

/** A per-group parameter as the block applies it: p_g = factor_g · (constant at `use`)_g + addend_g. */
export interface Param {
  readonly use: ParamUse;
  readonly factor: Float64Array;
  readonly addend: Float64Array;
}

/** One constant operand of a node, aligned with the groups. */
export interface ParamUse {
  readonly node: NodeProto;
  readonly inputIndex: number;
  readonly dims: readonly number[];
  /** ONNX element type of the constant. */
  readonly dataType: number;
  /** Its values per group (length G; one value repeated when it does not vary per group). */
  readonly perGroup: Float64Array;
  /** Which of its axes runs over the groups (null: it has a single value). */
  readonly groupAxis: number | null;
}

/** What a block tensor computes. */
export interface Term {
  readonly kind: Kind;
  /**
   * The constant factor of the kinds that are linear in their data: xmean, prod, sim, simmean, cent
   * (the value is scale × the reference quantity), sq (scale × (t − μ)²), and norm (a factor applied
   * after the division, folded into the weight).
   */
  readonly scale: number;
  /** xmean: the positions averaged; prod: those of the mean it multiplies by. */
  readonly over?: readonly Span[];
  /** G, known from the similarity on. */
  readonly groups?: number;
  /** simmean of the centered similarity (zero), rather than of the similarity. */
  readonly ofCentered?: boolean;
  /** var (after = 0, not yet rooted), std, recip, and the denominator of norm. */
  readonly spread?: Spread;
  /** norm: the factor of the centered similarity it divides (sign folded into `scale`). */
  readonly numerator?: number;
  readonly weight?: Param;
  readonly bias?: Param;
  /** The gate's op type. */
  readonly gate?: string;
  readonly defects: readonly string[];
}

/** A tensor derived from X. */
export interface Data {
  readonly kind: 'data';
  readonly layout: Layout;
  readonly term: Term;
}

/** A tensor that is not part of an SGE computation over X, and why. */
export interface Unknown {
  readonly kind: 'unknown';
  readonly reason: string;
  /** The furthest stage among what it was computed from. */
  readonly stage: number;
}

/** Facts about X under one assignment of its unknown dims. */
export interface Frame {
  readonly dims: readonly number[];
  readonly channels: number;
  /** S: the number of spatial positions. */
  readonly positions: number;
  /** The span of all spatial positions, [1, S). */
  readonly spatial: Span;
}

type Value = Const | Data | Unknown;

/** An unknown value. */
export function unknown(reason: string, ...from: readonly (Value | undefined)[]): Unknown {
  return { kind: 'unknown', reason, stage: Math.max(-1, ...from.map(stageOfValue)) };
}

/** The stage of a value: −1 for constants. */
export function stageOfValue(v: Value | undefined): number {
  if (!v || v.kind === 'const') return -1;
  return v.kind === 'unknown' ? v.stage : stageOf(v.term.kind);
}

const term = (kind: Kind, from: readonly Term[], fields: Partial<Term> = {}): Term => ({
  kind,
  scale: 1,
  defects: [...new Set([...from.flatMap((t) => t.defects), ...(fields.defects ?? [])])],
  ...(from.find((t) => t.groups !== undefined)?.groups !== undefined
    ? { groups: from.find((t) => t.groups !== undefined)!.groups }
    : {}),
  ...Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'defects')),
});

const data = (layout: Layout, t: Term): Data => ({ kind: 'data', layout, term: t });

function describe(t: Term): string {
  const names: Record<Kind, string> = {
    x: 'X',
    xmean: 'a mean of X',
    prod: 'X times its mean',
    sim: 'the similarity',
    simmean: 'the mean similarity',
    cent: 'the centered similarity',
    sq: 'the squared deviations',
    var: 'the variance',
    std: 'the standard deviation',
    recip: 'the reciprocal standard deviation',
    norm: 'the normalized similarity',
    affine: 'the affine similarity',
    gate: 'the gate',
    out: 'the gated output',
  };
  return names[t.kind];
}

const close = (a: number, b: number, rel = 1e-6): boolean =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

/** A number as users read it: 1e-5, 0.001, 575. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const [m, e] = v.toExponential(2).split('e') as [string, string];
  const mantissa = m.replace(/\.?0+$/, '');
  const exp = Number(e);
  return exp >= -3 && exp <= 3 ? String(Number(v.toPrecision(3))) : `${mantissa}e${exp}`;
}

/** The groups' span: [K·S, C·S). */
function groupSpan(frame: Frame, groups: number): Span[] {
  const k = frame.channels / groups;
  return k * frame.positions < frame.channels * frame.positions
    ? [{ lo: k * frame.positions, hi: frame.channels * frame.positions }]
    : [];
}

/** Multiplies a term by a constant factor, where its kind allows. */
function scaleTerm(t: Term, c: number): Term | string {
  if (!Number.isFinite(c) || c === 0) return `${describe(t)} is multiplied by ${c}`;
  switch (t.kind) {
    case 'xmean':
    case 'prod':
    case 'sim':
    case 'simmean':
    case 'cent':
    case 'sq':
    case 'norm':
      return { ...t, scale: t.scale * c };
    case 'var': {
      const s = t.spread!;
      return { ...t, spread: { k: s.k * c, inside: s.inside * c, after: 0 } };
    }
    case 'std':
    case 'recip': {
      if (c < 0) return `${describe(t)} is multiplied by a negative number`;
      const f = t.kind === 'recip' ? 1 / c : c;
      const s = t.spread!;
      return { ...t, spread: { k: s.k * f * f, inside: s.inside * f * f, after: s.after * f } };
    }
    default:
      return `${describe(t)} is multiplied by a constant ${formatNumber(c)}`;
  }
}

/** A constant's values per group, or why it is not a per-group constant of this block. */
function perGroupUse(
  node: NodeProto,
  inputIndex: number,
  c: Const,
  spans: readonly (Span[] | null)[],
  frame: Frame,
  groups: number,
): ParamUse | string {
  if (c.values.length === 1)
    return {
      node,
      inputIndex,
      dims: c.dims,
      dataType: c.dataType,
      perGroup: new Float64Array(groups).fill(c.values[0]!),
      groupAxis: null,
    };
  const varying = c.dims.flatMap((d, i) => (d !== 1 ? [i] : []));
  const rg = groupSpan(frame, groups);
  if (varying.length !== 1 || c.dims[varying[0]!] !== groups || !sameSpans(spans[varying[0]!] ?? [], rg)) {
    return `constant of dims [${c.dims.join(', ')}] does not hold one value per group (G = ${groups})`;
  }
  return {
    node,
    inputIndex,
    dims: c.dims,
    dataType: c.dataType,
    perGroup: Float64Array.from(c.values),
    groupAxis: varying[0]!,
  };
}

const ones = (g: number) => new Float64Array(g).fill(1);
const zeros = (g: number) => new Float64Array(g);

/**
 * Checks the normalization against the reference (unbiased std, eps 1e-5 after the square root) and
 * names each difference.
 */
function normDefects(numerator: number, s: Spread, frame: Frame): string[] {
  const out: string[] = [];
  const n = frame.positions;
  if (!(s.k > 0)) return [`the standard deviation has a factor ${formatNumber(s.k)} under the square root`];
  const divisor = (numerator * numerator) / s.k;
  if (!close(divisor, n - 1, 1e-6)) {
    out.push(
      close(divisor, n, 1e-6)
        ? 'std divides by S, not S−1'
        : `std divides by ${formatNumber(divisor)}, not S−1 = ${n - 1}`,
    );
  }
  const scaled = numerator !== 1 ? ` (against a similarity scaled by ${formatNumber(numerator)})` : '';
  if (s.inside !== 0) out.push(`eps ${formatNumber(s.inside / (numerator * numerator))} is inside the square root`);
  if (s.inside === 0 && s.after === 0) out.push('no eps');
  else if (s.after !== 0 && !close(s.after / numerator, SGE_EPS, 1e-4))
    out.push(`eps is ${formatNumber(s.after / numerator)}${scaled}, not 1e-5`);
  return out;
}

/** Unary ops a gate may be written with; anything else elementwise on the affine is named as the gate. */
const IDENTITY_OPS = new Set(['Identity', 'Dropout']);

/** Applies an elementwise unary op (not a view, not a reduction) to a block tensor. */
export function applyUnary(op: string, a: Data): Data | Unknown {
  const t = a.term;
  if (IDENTITY_OPS.has(op)) return a;
  if (op === 'Neg') {
    const s = scaleTerm(t, -1);
    return typeof s === 'string' ? unknown(s, a) : data(a.layout, s);
  }
  if (op === 'Sqrt' && t.kind === 'var') return data(a.layout, { ...t, kind: 'std' });
  if (op === 'Reciprocal' && t.kind === 'std') return data(a.layout, { ...t, kind: 'recip' });
  if (t.kind === 'affine' || t.kind === 'norm') return data(a.layout, makeGate(op, t));
  return unknown(`${op} of ${describe(t)} is not a step of SGE`, a);
}

function makeGate(op: string, t: Term): Term {
  const defects: string[] = [];
  if (op !== 'Sigmoid') defects.push(`gate is ${op}, not Sigmoid`);
  if (t.kind === 'norm') defects.push('no per-group weight and bias (the affine step is missing)');
  else if (!t.weight) defects.push('no per-group weight');
  else if (!t.bias) defects.push('no per-group bias');
  return term('gate', [t], { gate: op, weight: t.weight, bias: t.bias, defects });
}

/** The reduction ops a block may use, by how they combine the reduced elements. */
export type ReduceKind = 'mean' | 'sum' | 'sumSquare' | 'l2';

/** Reduces `axes` of a block tensor. */
export function applyReduce(
  kind: ReduceKind,
  a: Data,
  axes: readonly number[],
  keepDims: boolean,
  frame: Frame,
): Data | Unknown {
  const r = reduceLayout(a.layout, axes, keepDims);
  const t = a.term;
  const linear = kind === 'mean' || kind === 'sum';
  const factor = kind === 'mean' ? 1 / r.count : 1;
  const spatial = sameSpans(r.over, [frame.spatial]);
  const notSpatial = () =>
    unknown(
      `${describe(t)} is reduced over positions ${describeSpans(r.over)} of X, not over its spatial positions`,
      a,
    );
  if (t.kind === 'x' && linear)
    return data(r.layout, term('xmean', [t], { scale: kind === 'mean' ? 1 : r.count, over: r.over }));
  if (t.kind === 'prod' && linear) {
    if (!sameSpans(t.over!, [frame.spatial]))
      return unknown(
        `the channel means are taken over positions ${describeSpans(t.over!)} of X, not all spatial positions`,
        a,
      );
    const over = r.over;
    const k =
      over.length === 0 ? 1 : over.length === 1 && over[0]!.lo === frame.positions ? over[0]!.hi / frame.positions : 0;
    if (!k || frame.channels % k !== 0)
      return unknown(`the similarity sums over positions ${describeSpans(over)} of X, not the channels of a group`, a);
    return data(r.layout, term('sim', [t], { scale: t.scale * factor, groups: frame.channels / k }));
  }
  if ((t.kind === 'sim' || t.kind === 'cent') && linear) {
    if (!spatial) return notSpatial();
    return data(
      r.layout,
      term('simmean', [t], { scale: t.scale * (kind === 'sum' ? frame.positions : 1), ofCentered: t.kind === 'cent' }),
    );
  }
  if (t.kind === 'cent' && !linear) {
    if (!spatial) return notSpatial();
    const k = t.scale * t.scale;
    return data(r.layout, term(kind === 'l2' ? 'std' : 'var', [t], { spread: { k, inside: 0, after: 0 } }));
  }
  if (t.kind === 'sq' && linear) {
    if (!spatial) return notSpatial();
    return data(r.layout, term('var', [t], { spread: { k: t.scale * factor, inside: 0, after: 0 } }));
  }
  return unknown(`a ${kind} reduction of ${describe(t)} is not a step of SGE`, a);
}

/** Where a binary op's operands come from, for recording parameter uses. */
export interface BinarySite {
  readonly node: NodeProto;
  readonly frame: Frame;
}

/** Applies Add, Sub, Mul, Div or Pow where at least one operand is a block tensor. */
export function applyBinary(op: string, a: Data | Const, b: Data | Const, site: BinarySite): Data | Unknown {
  if (a.kind === 'data' && b.kind === 'data') return dataWithData(op, a, b, site.frame);
  if (a.kind === 'data' && b.kind === 'const') return dataWithConst(op, a, b, 1, site);
  if (a.kind === 'const' && b.kind === 'data') {
    if (op === 'Add' || op === 'Mul') return dataWithConst(op, b, a, 0, site);
    if (op === 'Div' && a.values.length === 1 && b.term.kind === 'std') {
      const s = scaleTerm({ ...b.term, kind: 'recip' }, a.values[0]!);
      const aligned = alignConstant(b.layout, a.dims);
      if (typeof s === 'string') return unknown(s, b);
      return typeof aligned === 'string' ? unknown(aligned, b) : data(aligned.layout, s);
    }
    return unknown(`${op} of a constant by ${describe(b.term)} is not a step of SGE`, b);
  }
  return unknown(`${op} of two constants reached the block analysis`);
}

function dataWithData(op: string, a: Data, b: Data, frame: Frame): Data | Unknown {
  const layout = broadcastLayouts(a.layout, b.layout);
  if (typeof layout === 'string') return unknown(layout, a, b);
  const [x, y] = [a.term, b.term];
  if (x.groups !== undefined && y.groups !== undefined && x.groups !== y.groups)
    return unknown(
      `${describe(x)} and ${describe(y)} group the channels differently (G = ${x.groups} and ${y.groups})`,
      a,
      b,
    );
  const pair = (p: Kind, q: Kind): [Term, Term] | undefined =>
    x.kind === p && y.kind === q
      ? [x, y]
      : x.kind === q && y.kind === p && (op === 'Mul' || op === 'Add')
        ? [y, x]
        : undefined;
  const fail = () => unknown(`${op} of ${describe(x)} and ${describe(y)} is not a step of SGE`, a, b);
  switch (op) {
    case 'Mul': {
      let p = pair('x', 'xmean');
      if (p) return data(layout, term('prod', p, { scale: p[1].scale, over: p[1].over }));
      p = pair('cent', 'cent');
      if (p) return data(layout, term('sq', p, { scale: p[0].scale * p[1].scale }));
      p = pair('cent', 'recip');
      if (p) return data(layout, normOf(p[0], p[1], frame));
      p = pair('x', 'gate');
      if (p) return data(layout, term('out', p, { gate: p[1].gate, weight: p[1].weight, bias: p[1].bias }));
      return fail();
    }
    case 'Div':
      if (x.kind === 'cent' && y.kind === 'std') return data(layout, normOf(x, y, frame));
      return fail();
    case 'Sub': {
      if ((x.kind === 'sim' || x.kind === 'cent') && y.kind === 'simmean' && y.ofCentered === (x.kind === 'cent')) {
        if (x.kind === 'sim' && !close(x.scale, y.scale))
          return unknown('the similarity and the mean subtracted from it are scaled differently', a, b);
        return data(layout, term('cent', [x, y], { scale: x.scale }));
      }
      return fail();
    }
    default:
      return fail();
  }
}

function normOf(cent: Term, denominator: Term, frame: Frame): Term {
  const spread = denominator.spread!;
  const numerator = Math.abs(cent.scale);
  // A negative factor on the centered similarity flips the sign of t̂: folded into the weight.
  return term('norm', [cent, denominator], {
    scale: Math.sign(cent.scale),
    numerator,
    spread,
    defects: normDefects(numerator, spread, frame),
  });
}

function dataWithConst(op: string, a: Data, c: Const, constIndex: number, site: BinarySite): Data | Unknown {
  const aligned = alignConstant(a.layout, c.dims);
  if (typeof aligned === 'string') return unknown(aligned, a);
  const t = a.term;
  const scalar = c.values.length === 1 ? c.values[0]! : undefined;
  const out = (next: Term | string): Data | Unknown =>
    typeof next === 'string' ? unknown(next, a) : data(aligned.layout, next);
  const groups = t.groups;
  const use = () =>
    groups === undefined ? 'no groups yet' : perGroupUse(site.node, constIndex, c, aligned.spans, site.frame, groups);
  switch (op) {
    case 'Mul':
    case 'Div': {
      if (t.kind === 'norm' || (t.kind === 'affine' && !t.bias)) {
        // A scalar on the normalized similarity scales it (folded into the weight); a per-group
        // constant (or, with one group, any) is the weight.
        if (t.kind === 'norm' && scalar !== undefined && groups !== 1)
          return out(scaleTerm(t, op === 'Mul' ? scalar : 1 / scalar));
        const u = use();
        if (typeof u === 'string') return unknown(u, a);
        if (op === 'Div') return unknown('the normalized similarity is divided by a per-group constant', a);
        return out(term('affine', [t], { weight: multiplyWeight(t, u, groups!) }));
      }
      if (scalar === undefined)
        return unknown(`${describe(t)} is multiplied by a constant of dims [${c.dims.join(', ')}]`, a);
      return out(scaleTerm(t, op === 'Mul' ? scalar : 1 / scalar));
    }
    case 'Add': {
      if (t.kind === 'var' && scalar !== undefined)
        return out({ ...t, spread: { ...t.spread!, inside: t.spread!.inside + scalar } });
      if (t.kind === 'std' && scalar !== undefined)
        return out({ ...t, spread: { ...t.spread!, after: t.spread!.after + scalar } });
      if (t.kind === 'norm' || t.kind === 'affine') {
        const u = use();
        if (typeof u === 'string') return unknown(u, a);
        const bias: Param = t.bias
          ? { ...t.bias, addend: t.bias.addend.map((v, g) => v + u.perGroup[g]!) }
          : { use: u, factor: ones(groups!), addend: zeros(groups!) };
        return out(term('affine', [t], { weight: t.weight, bias }));
      }
      return unknown(`a constant is added to ${describe(t)}`, a);
    }
    case 'Pow': {
      if (scalar === 2 && t.kind === 'cent') return out(term('sq', [t], { scale: t.scale * t.scale }));
      if (scalar === 0.5 && t.kind === 'var') return out({ ...t, kind: 'std' });
      if (scalar === -1 && t.kind === 'std') return out({ ...t, kind: 'recip' });
      return unknown(`${describe(t)} raised to ${scalar ?? 'a tensor'}`, a);
    }
    default:
      return unknown(`${op} of ${describe(t)} and a constant is not a step of SGE`, a);
  }
}

/** The weight after one more per-group factor; the parameter fed in the proof is the per-group one. */
function multiplyWeight(t: Term, u: ParamUse, groups: number): Param {
  const post = t.kind === 'norm' ? t.scale : 1;
  const w = t.weight;
  if (!w) return { use: u, factor: new Float64Array(groups).fill(post), addend: zeros(groups) };
  if (w.use.groupAxis === null && u.groupAxis !== null)
    return { use: u, factor: w.factor.map((f, g) => f * w.use.perGroup[g]!), addend: zeros(groups) };
  return { ...w, factor: w.factor.map((f, g) => f * u.perGroup[g]!) };
}

/** The value of a per-group parameter. */
export function paramValues(p: Param): Float64Array {
  return p.factor.map((f, g) => f * p.use.perGroup[g]! + p.addend[g]!);
}
