/** What `fuseSge` reports: the sites it made, the near misses it left, and what changed. */

/** One exported block replaced by a site. */
export interface FusedSite {
  /** The site name (the node that produces X), as inject would name it. */
  readonly name: string;
  /** That node's op type. */
  readonly opType: string;
  /** `main`, or the path of the nested graph. */
  readonly graph: string;
  /** The block's input X and output Y (both keep their names). */
  readonly input: string;
  readonly output: string;
  readonly channels: number;
  readonly groups: number;
  /** Spatial dims after N and C (numbers, symbolic names, or null when unknown). */
  readonly spatial: (number | string | null)[] | null;
  readonly elemType: 'float32' | 'float16';
  readonly mode: 'function' | 'inline';
  /** Nodes of the old block removed (shape arithmetic and Constant nodes included). */
  readonly nodesRemoved: number;
  readonly nodesAdded: number;
  readonly initializersRemoved: number;
  /** Nodes of the old block kept because something outside it reads them. */
  readonly nodesKept: number;
  /** The recovered parameters, one per group, and the tensors they were read from. */
  readonly weight: number[];
  readonly bias: number[];
  readonly weightFrom: string;
  readonly biasFrom: string;
  /** The onnxruntime proof against the float64 reference. */
  readonly proof: { readonly maxAbs: number; readonly maxRel: number; readonly elements: number };
}

/** A block that looks like SGE but was left as it is. */
export interface NearMiss {
  /** The node that produces the block's input ('' when none does). */
  readonly site: string;
  readonly graph: string;
  readonly input: string;
  readonly output: string;
  readonly nodes: number;
  /** Why it is not fused: what differs from the reference SGE, or why it cannot become a site. */
  readonly reasons: string[];
}

/** What {@link fuseSge} did. */
export interface FuseReport {
  readonly sites: FusedSite[];
  readonly nearMisses: NearMiss[];
  readonly mode: 'function' | 'inline';
  /** The model's ai.onnx opset. */
  readonly opset: number;
  /** Nodes of every graph, before and after. */
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  readonly initializersBefore: number;
  readonly initializersAfter: number;
  /** Weights and biases recovered (2·G per site). */
  readonly parametersRecovered: number;
  readonly functionsAdded: string[];
  readonly opsetImportsAdded: string[];
  /** Set when the IR version was raised (the function form needs IR 8). */
  readonly irVersion?: { readonly from: number; readonly to: number };
  readonly warnings: string[];
}
