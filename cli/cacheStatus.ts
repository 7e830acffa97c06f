import type { EngineStatus } from '../engine/codegraph.js';
import { CacheCorruptionError } from '../engine/errors.js';

/** `codegraph status` on a damaged cache: an error (exit 4) that says how to rebuild it; the report itself changed nothing. */
export function throwIfCacheUnusable(status: EngineStatus): void {
  if (!status.cacheProblem) return;
  throw new CacheCorruptionError(status.cacheProblem, {
    cachePath: status.cachePath,
    hint: `The cache is unusable. Run \`codegraph index ${status.root}\`: it moves the damaged file aside and rebuilds the index from the sources.`,
  });
}
