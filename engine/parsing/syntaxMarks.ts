import type { LanguageSpec } from './languages.js';
import type { SyntaxNode } from './syntax.js';

/** What a chunk's measures count: a call (its callee names a reference), a branch point, a short-circuit operator. */
export type SyntaxMarkKind = 'call' | 'branch' | 'logical';

/** One counted node of a file, in document order (by start; an enclosing node before the nodes inside it). */
export interface SyntaxMark {
  readonly kind: SyntaxMarkKind;
  readonly startIndex: number;
  readonly endIndex: number;
  /** The call node, for its callee; the other kinds need only their range. */
  readonly node: SyntaxNode;
}

/** Operators that add a branch point when they are the `operator` of a `logicalOperators` node. */
const LOGICAL_OPERATORS = ['&&', '||', 'and', 'or', '??'];

/** A language's node types that make marks, and the list `descendantsOfType` looks for. */
interface MarkTypes {
  readonly calls: ReadonlySet<string>;
  readonly branches: ReadonlySet<string>;
  readonly logical: ReadonlySet<string>;
  readonly types: readonly string[];
}
/** Derived once per language spec, not once per file. */
const markTypesBySpec = new WeakMap<LanguageSpec, MarkTypes>();

function markTypes(spec: LanguageSpec): MarkTypes {
  let types = markTypesBySpec.get(spec);
  if (!types) {
    const calls = new Set(spec.calls);
    const branches = new Set(spec.branches);
    const logical = new Set(spec.logicalOperators);
    types = { calls, branches, logical, types: [...calls, ...branches, ...(logical.size > 0 ? LOGICAL_OPERATORS : [])] };
    markTypesBySpec.set(spec, types);
  }
  return types;
}

/**
 * Finds a file's marks with tree-sitter's own walk inside the grammar's WASM (`descendantsOfType`, once
 * per file), instead of a JS cursor walk over every node: that walk cost as much as the parse itself (a
 * cursor move and a node-type read marshalled per node; bench/speed/NOTES.md, "The chunker's walk"),
 * while the marks are a few percent of the nodes. A query (`Query.captures`) found the same nodes in 2.0 s
 * against this walk's 1.25 s on the same files, plus 0.65 s of query compiles per thread.
 */
export function syntaxMarks(root: SyntaxNode, spec: LanguageSpec): SyntaxMark[] {
  const marks: SyntaxMark[] = [];
  const { calls, branches, logical, types } = markTypes(spec);
  if (types.length === 0) return marks;
  for (const node of root.descendantsOfType(types)) {
    // Types are matched by name: a keyword token can share its name with a named node (Ruby's `if`).
    if (node.isNamed) {
      if (calls.has(node.type)) marks.push({ kind: 'call', startIndex: node.startIndex, endIndex: node.endIndex, node });
      else if (branches.has(node.type)) marks.push({ kind: 'branch', startIndex: node.startIndex, endIndex: node.endIndex, node });
      continue;
    }
    // An operator token counts where it is the operator of a logical-operator node (not `||` opening a Rust closure).
    const parent = node.parent;
    if (parent && logical.has(parent.type) && parent.childForFieldName('operator')?.startIndex === node.startIndex) {
      marks.push({ kind: 'logical', startIndex: parent.startIndex, endIndex: parent.endIndex, node: parent });
    }
  }
  return marks.sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
}
