/**
 * The slice of web-tree-sitter's node API the data-flow analysis uses, so
 * that it stays a pure function of the tree.
 */
export interface DataFlowSyntaxNode {
  readonly type: string;
  readonly isNamed: boolean;
  readonly text: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly childCount: number;
  readonly namedChildren: readonly (DataFlowSyntaxNode | null)[];
  child(index: number): DataFlowSyntaxNode | null;
  fieldNameForChild(index: number): string | null;
  childForFieldName(name: string): DataFlowSyntaxNode | null;
  childrenForFieldName(name: string): readonly (DataFlowSyntaxNode | null)[];
}
