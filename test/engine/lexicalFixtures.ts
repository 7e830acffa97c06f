/** Generated files for BM25 tests: chunks of words with Zipf-like frequencies. */
import { chunkContentHash } from '../../engine/hashing/hash.js';
import type { Chunk } from '../../engine/parsing/chunk.js';
import { seededRandom } from '../../engine/random/index.js';
import type { FileUpdate } from '../../engine/store/records.js';

// Words with very different frequencies, so that queries mix common and rare terms as real questions do.
export const WORDS = ['read', 'file', 'line', 'buffer', 'parse', 'token', 'stream', 'socket', 'retry', 'backoff', 'checksum', 'mutex', 'polynomial', 'base64', 'inotify'];

function zipfWord(random: () => number): string {
  // P(rank r) ∝ 1 / (r + 1): "read" in about 30% of picks, "inotify" in about 3%.
  const weights = WORDS.map((_, rank) => 1 / (rank + 1));
  let pick = random() * weights.reduce((sum, weight) => sum + weight, 0);
  for (let rank = 0; rank < WORDS.length; rank++) {
    pick -= weights[rank]!;
    if (pick <= 0) return WORDS[rank]!;
  }
  return WORDS[WORDS.length - 1]!;
}

/** `count` files of four chunks each; `seed` varies the words, `prefix` the paths and symbols. */
export function generatedFiles(count: number, seed = 42, prefix = 'f'): FileUpdate[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, fileIndex) => {
    const chunks: Chunk[] = Array.from({ length: 4 }, (_, ordinal) => {
      const words = Array.from({ length: 3 + Math.floor(random() * 30) }, () => zipfWord(random));
      const text = `def ${prefix}${fileIndex}_${ordinal}():\n    return "${words.join(' ')}"`;
      return {
        ordinal, symbol: `${prefix}${fileIndex}_${ordinal}`, parent: null, kind: 'function', startLine: ordinal * 3 + 1, endLine: ordinal * 3 + 2, text, piece: 0, doc: random() < 0.3 ? zipfWord(random) : null,
        contentHash: chunkContentHash(text), metrics: { nodeCount: 3, complexity: 1 }, calls: [],
      };
    });
    return { path: `src/${zipfWord(random)}_${prefix}${fileIndex}.py`, language: 'python', size: 100, mtimeMs: 1, contentHash: `h${prefix}${fileIndex}`, method: 'syntax', analysis: { imports: [], definitions: [], references: [] }, chunks };
  });
}

