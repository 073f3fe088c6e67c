/** The names by which an inserted SGE is written and recognized; fixed so every layer agrees. */
import { DataType } from '../codec/types.js';

/** The custom operator domain. */
export const SGE_DOMAIN = 'com.sge-inject';
/** Version of {@link SGE_DOMAIN} that the functions implement. */
export const SGE_DOMAIN_VERSION = 1;
/** Function / op_type for float32 sites. */
export const SGE_OP = 'SpatialGroupEnhance';
/** Function / op_type for float16 sites (overloads need IR 10, so the name differs instead). */
export const SGE_OP_FLOAT16 = 'SpatialGroupEnhance_float16';
/** doc_string carried by the first node of an inline expansion. */
export const SGE_INLINE_MARKER = 'sge-inject:SpatialGroupEnhance';
/** Element types a site may have. */
export const SUPPORTED_ELEM_TYPES: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16]);

/** Function name for an element type. */
export function sgeOpFor(elemType: number): string {
  return elemType === DataType.FLOAT16 ? SGE_OP_FLOAT16 : SGE_OP;
}

/** True for either function name. */
export function isSgeOp(domain: string | undefined, opType: string | undefined): boolean {
  return domain === SGE_DOMAIN && (opType === SGE_OP || opType === SGE_OP_FLOAT16);
}

/** Name of the node that produces a site's output (the function node, or the last inline node). */
export const sgeNodeName = (site: string): string => `${site}/sge`;
/** Prefix of every node and constant of a site's expansion. */
export const sgePrefix = (site: string): string => `${site}/sge/`;
/** Name of a site's weight initializer. */
export const sgeWeightName = (site: string): string => `${site}/sge/weight`;
/** Name of a site's bias initializer. */
export const sgeBiasName = (site: string): string => `${site}/sge/bias`;
