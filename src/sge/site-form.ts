/**
 * One SGE site as sge-inject writes it, whoever asks (inject after a chosen node, fuse in place of an
 * exported block): the function call or the inline expansion, the parameters `<site>/sge/weight` and
 * `<site>/sge/bias` of shape [G], and, for the function form, the model-local functions, the domain
 * import and the IR version they need. Keeping this in one place keeps every site recognizable by
 * detect.ts, and so by `strip`, `list` and `validate`.
 */
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { makeNode, makeTensor } from '../graph/factory.js';
import type { NameAuthority } from '../graph/names.js';
import { addFunction, addOpsetImport, irVersion, opsetVersion, raiseIrVersion } from '../graph/opset.js';
import type { Dim } from '../graph/dims.js';
import { toFloat16Bits } from '../tensor/float16.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_DOMAIN, SGE_DOMAIN_VERSION, sgeBiasName, sgeNodeName, sgeOpFor, sgeWeightName } from './conventions.js';
import { buildSgeNodes } from './expansion.js';
import { buildSgeFunction } from './function.js';
import { FUNCTION_MIN_IR } from './ir.js';
import { foreignSgeFunctions, functionId, upgradeSgeFunctions } from './recognize.js';

export { FUNCTION_MIN_IR } from './ir.js';

/** What one site needs. */
export interface SiteFormOptions {
  readonly mode: 'function' | 'inline';
  /** The model's ai.onnx opset. */
  readonly opset: number;
  /** FLOAT or FLOAT16: X's type, and so the parameters'. */
  readonly elemType: number;
  /** The site name (the node that produces X). */
  readonly site: string;
  /** The block's input and output tensors. */
  readonly x: string;
  readonly y: string;
  readonly weight: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  readonly channels: number;
  /** X's shape as far as known (the inline form turns static dims into constants). */
  readonly shape?: readonly Dim[];
  readonly names: NameAuthority;
}

/** The nodes (in order) and initializers of one site, ready to be placed where Y was produced. */
export interface SiteParts {
  readonly nodes: NodeProto[];
  readonly initializers: TensorProto[];
}

/**
 * Builds one site; reserves every name it uses.
 * @throws InputError when `<site>/sge/weight` or `<site>/sge/bias` is already a name in the model.
 */
export function buildSite(o: SiteFormOptions): SiteParts {
  const weightName = sgeWeightName(o.site),
    biasName = sgeBiasName(o.site);
  for (const n of [weightName, biasName]) {
    if (o.names.has(n))
      throw new InputError(
        `name '${n}' is already used in the model`,
        'rename that tensor, or strip the old SGE first',
      );
    o.names.reserve(n);
  }
  const initializers = [paramTensor(weightName, o.weight, o.elemType), paramTensor(biasName, o.bias, o.elemType)];
  if (o.mode === 'function') {
    const node = makeNode({
      op_type: sgeOpFor(o.elemType),
      domain: SGE_DOMAIN,
      name: o.names.fresh(sgeNodeName(o.site)),
      input: [o.x, weightName, biasName],
      output: [o.y],
    });
    return { nodes: [node], initializers };
  }
  const built = buildSgeNodes({
    opset: o.opset,
    elemType: o.elemType as FloatElemType,
    x: o.x,
    y: o.y,
    weight: weightName,
    bias: biasName,
    prefix: sgeNodeName(o.site),
    channels: o.channels,
    groups: o.weight.length,
    shape: o.shape ? [undefined, o.channels, ...o.shape.slice(2)] : undefined,
    freshName: (base: string) => o.names.fresh(base),
  });
  return { nodes: built.nodes, initializers: [...initializers, ...built.initializers] };
}

/**
 * The function form defines `com.sge-inject.SpatialGroupEnhance` and imports our domain at version 1. A
 * model that already has a function of that name with another body, or imports the domain at another
 * version, would make the new sites call what the user wrote: refuse before any change.
 */
export function checkFunctionForm(model: ModelProto): void {
  const foreign = foreignSgeFunctions(model);
  if (foreign.length > 0) {
    throw new InputError(
      `the model already defines the function ${foreign.map(functionId).join(' and ')}, with a body sge-inject did not write: new sites would call it`,
      'rename that function (its domain or name) in the model, or pass --inline to write standard ops at each site instead',
    );
  }
  const have = opsetVersion(model, SGE_DOMAIN);
  if (have !== undefined && have !== SGE_DOMAIN_VERSION) {
    throw new InputError(
      `the model imports domain ${SGE_DOMAIN} at version ${have}; sge-inject's function is version ${SGE_DOMAIN_VERSION}`,
      'remove or rename that opset import in the model, or pass --inline to write standard ops at each site instead',
    );
  }
}

/** What making the function form available changed. */
export interface FunctionFormChanges {
  readonly functionsAdded: string[];
  /** Functions an earlier release wrote, now with this release's body (same results, fewer nodes). */
  readonly functionsUpdated: string[];
  readonly opsetImportsAdded: string[];
  readonly irVersion?: { readonly from: number; readonly to: number };
  readonly warnings: string[];
}

/**
 * Adds the SGE functions for the element types used (reusing ours when the model has them already, after
 * giving a body an earlier release wrote, such as 0.1's, this release's: the old and new sites then run
 * the same fewer nodes, and strip, list and validate know both bodies), the
 * `com.sge-inject` import, and raises the IR version to {@link FUNCTION_MIN_IR} when lower (the original is
 * kept in metadata for `strip`). Call {@link checkFunctionForm} before changing the model.
 */
export function installFunctionForm(
  model: ModelProto,
  opset: number,
  elemTypes: Iterable<number>,
): FunctionFormChanges {
  const functionsAdded: string[] = [];
  const opsetImportsAdded: string[] = [];
  const warnings: string[] = [];
  // The caller has run checkFunctionForm before its first change; a foreign body here is our bug.
  if (foreignSgeFunctions(model).length > 0) throw new Error('installFunctionForm: a foreign SGE function is present');
  const functionsUpdated = upgradeSgeFunctions(model);
  for (const id of functionsUpdated)
    warnings.push(
      `${id}: the body an earlier sge-inject wrote is replaced by this release's (same results, fewer nodes)`,
    );
  for (const t of elemTypes)
    if (addFunction(model, buildSgeFunction(opset, t as FloatElemType)))
      functionsAdded.push(`${SGE_DOMAIN}.${sgeOpFor(t)}`);
  if (addOpsetImport(model, SGE_DOMAIN, SGE_DOMAIN_VERSION))
    opsetImportsAdded.push(`${SGE_DOMAIN}:${SGE_DOMAIN_VERSION}`);
  const from = raiseIrVersion(model, FUNCTION_MIN_IR);
  let ir: FunctionFormChanges['irVersion'];
  if (from !== undefined) {
    ir = { from, to: irVersion(model) };
    warnings.push(
      `IR version raised from ${from} to ${FUNCTION_MIN_IR} (model-local functions need it); the original is kept in metadata`,
    );
  }
  return { functionsAdded, functionsUpdated, opsetImportsAdded, ...(ir ? { irVersion: ir } : {}), warnings };
}

function paramTensor(name: string, values: ArrayLike<number>, elemType: number): TensorProto {
  if (elemType === DataType.FLOAT16) return makeTensor(name, [values.length], toFloat16Bits(values), DataType.FLOAT16);
  return makeTensor(name, [values.length], Float32Array.from(Array.from(values)));
}
