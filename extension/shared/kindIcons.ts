/** Codicon name for a chunk kind, matching VS Code's symbol icons; shared by the host and the search panel. */
const KIND_ICONS: Readonly<Record<string, string>> = {
  function: 'symbol-function',
  method: 'symbol-method',
  class: 'symbol-class',
  interface: 'symbol-interface',
  struct: 'symbol-structure',
  enum: 'symbol-enum',
  trait: 'symbol-interface',
  impl: 'symbol-namespace',
  module: 'symbol-module',
  type: 'symbol-type-parameter',
  block: 'symbol-misc',
  lines: 'file-code',
};

export function kindIcon(kind: string): string {
  return KIND_ICONS[kind] ?? 'symbol-misc';
}
