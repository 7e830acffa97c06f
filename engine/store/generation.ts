import type { GenerationChange } from './records.js';

/**
 * The generation a copy at `loaded` reaches after applying `changes` in
 * order (batches committed while it loaded, or one batch after another):
 * changes up to the one that produced `loaded` are in it already; each later
 * one must start where the previous ended. Null when the chain breaks (another
 * process wrote, or a change is unknown): the copy then stands for no state of the store.
 */
export function generationAfter(loaded: string | null, changes: readonly (GenerationChange | undefined)[]): string | null {
  if (loaded === null) return null;
  const included = changes.findIndex((change) => change?.current === loaded);
  let generation = loaded;
  for (const change of changes.slice(included + 1)) {
    if (!change || change.previous !== generation) return null;
    generation = change.current;
  }
  return generation;
}
