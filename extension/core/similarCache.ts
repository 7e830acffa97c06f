/**
 * A small LRU of promises with in-flight sharing: CodeLens resolution and
 * hovers ask for the same similar-code lookups many times while a file is on
 * screen, and each lookup should run once. Keys carry the index generation,
 * so entries from before a re-index are never served; they just age out.
 */
export class PromiseCache<V> {
  readonly #entries = new Map<string, Promise<V>>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer; got ${capacity}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value for `key`, computing it once; a failed computation is not kept. */
  get(key: string, compute: () => Promise<V>): Promise<V> {
    const cached = this.#entries.get(key);
    if (cached) {
      // Re-insert to mark as most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const created = compute();
    this.#entries.set(key, created);
    created.catch(() => {
      if (this.#entries.get(key) === created) this.#entries.delete(key);
    });
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return created;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The cache key of a similar-code lookup. */
export function similarKey(folderKey: string, generation: number, path: string, line: number): string {
  return `${folderKey}\n${generation}\n${path}\n${line}`;
}
