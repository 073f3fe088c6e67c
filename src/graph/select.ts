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

/** True when `pattern` matches the node's name or any of its output names. */
export function matchesNode(pattern: NamePattern, node: NodeProto): boolean {
  return selectableNames(node).some((n) => pattern.test(n));
}

/** Include and exclude patterns, compiled once: the one rule by which every command picks nodes. */
export interface NodeSelector {
  /** The include patterns, compiled. */
  readonly include: readonly NamePattern[];
  /** The include patterns (as given) that match `node`; empty when there are none. */
  matching(node: NodeProto): string[];
  /** True when an include pattern matches (or none is given) and no exclude pattern does. */
  selects(node: NodeProto): boolean;
}

/** Compiles include and exclude patterns (include first: an invalid one is reported in that order). */
export function nodeSelector(include: readonly string[] = [], exclude: readonly string[] = []): NodeSelector {
  const inc = include.map(compilePattern);
  const exc = exclude.map(compilePattern);
  return {
    include: inc,
    matching: (node) => inc.filter((p) => matchesNode(p, node)).map((p) => p.source),
    selects: (node) =>
      (inc.length === 0 || inc.some((p) => matchesNode(p, node))) && !exc.some((p) => matchesNode(p, node)),
  };
}

/** Nodes matching the query, in model order (outer scopes first). */
export function findNodes(model: ModelProto, query: NodeQuery = {}): NodeMatch[] {
  const selector = nodeSelector(query.include, query.exclude);
  const opTypes = query.opTypes ? new Set(query.opTypes) : undefined;
  const out: NodeMatch[] = [];
  for (const scope of graphScopes(model)) {
    if (scope.depth > 0 && query.subgraphs === false) continue;
    for (const node of scope.graph.node) {
      if (opTypes && !(opTypes.has(node.op_type ?? '') && isDefaultDomain(node.domain))) continue;
      if (!selector.selects(node)) continue;
      out.push({ node, scope, patterns: selector.matching(node) });
    }
  }
  return out;
}
