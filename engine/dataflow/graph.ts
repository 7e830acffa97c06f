/**
 * A data-flow graph in GraphCodeBERT's sense: nodes are variable occurrences,
 * edges say where a value comes from.
 */

/** One occurrence of a variable in the source. Offsets are UTF-16 indices into the parsed text. */
export interface DataFlowNode {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * `computedFrom`: the target was assigned a value computed from the source
 * (`x = a + b`: x ← a, x ← b). `comesFrom`: the target reads, or updates, the
 * value the source defined (`y = x`: this x ← the previous definition of x).
 */
export type DataFlowRelation = 'comesFrom' | 'computedFrom';

export interface DataFlowEdge {
  /** Index into `nodes`: where the value arrives. */
  readonly target: number;
  /** Index into `nodes`: where it was defined or computed. */
  readonly source: number;
  readonly relation: DataFlowRelation;
}

/** Nodes sorted by position; only occurrences that take part in an edge (as GraphCodeBERT keeps them). */
export interface DataFlowGraph {
  readonly nodes: readonly DataFlowNode[];
  readonly edges: readonly DataFlowEdge[];
}

/** One code token: a leaf of the syntax tree (a whole literal for strings), comments left out. */
export interface CodeToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}
