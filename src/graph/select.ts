/**
 * Choosing nodes by name. A pattern matches a node when it matches the node's name or any of its
 * output names (Caffe-converted models name tensors, not nodes), always as a whole name:
 * - a glob (picomatch with bash semantics, so `*` also crosses `/` in torch names such as
 *   `/layer3/layer3.1/conv3/Conv`, and dot files are not special);
 * - `re:PATTERN`, a JavaScript regular expression anchored to the whole name.
 */
import picomatch from 'picomatch/posix.js';
import type { ModelProto, NodeProto } from '../codec/types.js';
import { UsageError } from '../errors.js';
import { isDefaultDomain } from './opset.js';
import { graphScopes, type GraphScope } from './scopes.js';

/** A compiled pattern. */
export interface NamePattern {
  /** The text as given. */
  readonly source: string;
  /** True when `name` matches as a whole. */
  test(name: string): boolean;
}

/** Compiles a glob or `re:` pattern; an invalid regular expression is a UsageError. */
export function compilePattern(source: string): NamePattern {
  if (source.startsWith('re:')) {
    const body = source.slice(3);
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${body})$`, 'u');
    } catch (err) {
      throw new UsageError(
        `invalid regular expression in pattern '${source}': ${(err as Error).message}`,
        'write re:PATTERN with a JavaScript regular expression, e.g. re:conv4_[0-9]+',
      );
    }
    return { source, test: (name) => re.test(name) };
  }
  if (source === '') throw new UsageError('empty pattern', "give a glob such as '*/conv3/Conv' or 're:PATTERN'");
  const isMatch = picomatch(source, { bash: true, dot: true });
  return { source, test: (name) => isMatch(name) };
}

/** A node found by a query. */
export interface NodeMatch {
  readonly node: NodeProto;
  readonly scope: GraphScope;
  /** Which patterns matched it (as given). */
  readonly patterns: readonly string[];
}

/** What to look for. All fields are optional; an empty query matches every node. */
export interface NodeQuery {
  /** Patterns that select (any one suffices). Absent or empty: every node. */
  readonly include?: readonly string[];
  /** Patterns that remove a node even when it was selected. */
  readonly exclude?: readonly string[];
  /** Op types allowed (default domain only, e.g. `Conv`). Absent: every op type. */
  readonly opTypes?: readonly string[];
  /** Also search nested graphs (If/Loop/Scan bodies). Default true. */
  readonly subgraphs?: boolean;
}

/** The names a node can be selected by: its own name, then its outputs. */
export function selectableNames(node: NodeProto): string[] {
  const names = node.name ? [node.name] : [];
  for (const o of node.output) if (o) names.push(o);
  return names;
}

/** Nodes matching the query, in model order (outer scopes first). */
export function findNodes(model: ModelProto, query: NodeQuery = {}): NodeMatch[] {
  const include = (query.include ?? []).map(compilePattern);
  const exclude = (query.exclude ?? []).map(compilePattern);
  const opTypes = query.opTypes ? new Set(query.opTypes) : undefined;
  const out: NodeMatch[] = [];
  for (const scope of graphScopes(model)) {
    if (scope.depth > 0 && query.subgraphs === false) continue;
    for (const node of scope.graph.node) {
      if (opTypes && !(opTypes.has(node.op_type ?? '') && isDefaultDomain(node.domain))) continue;
      const names = selectableNames(node);
      const hit = include.length === 0 ? [] : include.filter((p) => names.some((n) => p.test(n))).map((p) => p.source);
      if (include.length > 0 && hit.length === 0) continue;
      if (exclude.some((p) => names.some((n) => p.test(n)))) continue;
      out.push({ node, scope, patterns: hit });
    }
  }
  return out;
}
