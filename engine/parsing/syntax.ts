/**
 * The slice of the tree-sitter node API the chunker relies on. Keeping it
 * narrow makes the chunker a pure function of (tree, source, language).
 */
export interface SyntaxNode {
  readonly type: string;
  readonly isNamed: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: { row: number; column: number };
  readonly endPosition: { row: number; column: number };
  readonly namedChildren: SyntaxNode[];
  readonly parent: SyntaxNode | null;
  readonly childCount: number;
  /** Visible nodes in this subtree, itself included (named and anonymous; kept in the tree, no walk). */
  readonly descendantCount: number;
  /** Whether this node is or contains a syntax error (ERROR or MISSING nodes). */
  readonly hasError: boolean;
  readonly text: string;
  childForFieldName(name: string): SyntaxNode | null;
  /** Descendants (itself included) whose type is one of `types`, named or anonymous, in document order; found by a walk inside tree-sitter. */
  descendantsOfType(types: readonly string[]): SyntaxNode[];
  walk(): SyntaxCursor;
}

export interface SyntaxCursor {
  readonly nodeType: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly currentNode: SyntaxNode;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  delete(): void;
}
