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
  readonly childCount: number;
  /** Whether this node is or contains a syntax error (ERROR or MISSING nodes). */
  readonly hasError: boolean;
  readonly text: string;
  readonly tree: { readonly language: SyntaxLanguage };
  childForFieldName(name: string): SyntaxNode | null;
  walk(): SyntaxCursor;
}

/** A grammar's node types by id. */
export interface SyntaxLanguage {
  readonly nodeTypeCount: number;
  nodeTypeForId(typeId: number): string | null;
  nodeTypeIsNamed(typeId: number): boolean;
}

export interface SyntaxCursor {
  readonly nodeType: string;
  readonly nodeTypeId: number;
  readonly nodeIsNamed: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly currentNode: SyntaxNode;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  delete(): void;
}
