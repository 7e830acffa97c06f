/**
 * Keyboard movement through the result list, apart from the DOM so it can be
 * unit-tested. -1 means "no result selected" (focus in the query box).
 */
export type NavigationKey = 'ArrowDown' | 'ArrowUp' | 'Home' | 'End' | 'PageDown' | 'PageUp';

export function isNavigationKey(key: string): key is NavigationKey {
  return key === 'ArrowDown' || key === 'ArrowUp' || key === 'Home' || key === 'End' || key === 'PageDown' || key === 'PageUp';
}

export function moveSelection(current: number, count: number, key: NavigationKey, page = 5): number {
  if (count === 0) return -1;
  switch (key) {
    case 'ArrowDown':
      return Math.min(count - 1, current + 1);
    case 'ArrowUp':
      return current <= 0 ? -1 : current - 1;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'PageDown':
      return Math.min(count - 1, Math.max(0, current) + page);
    case 'PageUp':
      return Math.max(0, current - page);
  }
}

/** Codicon name for a chunk kind, matching VS Code's symbol icons. */
export function kindIcon(kind: string): string {
  const icons: Record<string, string> = {
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
  return icons[kind] ?? 'symbol-misc';
}

/** The last path segment, for the result title when a chunk has no symbol. */
export function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}
