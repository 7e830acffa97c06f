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
  readonly text: string;
  childForFieldName(name: string): SyntaxNode | null;
  walk(): SyntaxCursor;
}

export interface SyntaxCursor {
  readonly nodeType: string;
  readonly nodeIsNamed: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly currentNode: SyntaxNode;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  delete(): void;
}
