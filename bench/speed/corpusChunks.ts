/**
 * Chunks of the speed corpus as the index's workers cut them (same discovery,
 * decoding, parser and chunking options for the default model), in one
 * thread, for the check scripts that compare an optimised stage with its
 * reference over every chunk.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultGrammarsDir } from '../../engine/config/paths.js';
import { decodeSourceText } from '../../engine/discovery/content.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { discoverFiles } from '../../engine/discovery/walk.js';
import type { ModelManifest } from '../../engine/embedding/manifest.js';
import { DEFAULT_CHUNKING, type ChunkedFile, type ChunkingOptions } from '../../engine/parsing/chunk.js';
import { languageById } from '../../engine/parsing/languages.js';
import { CodeParser } from '../../engine/parsing/parser.js';

export const DEFAULT_CORPUS = join(homedir(), '.cache', 'codegraph', 'speed-corpus');

/** The chunking options the engine uses for `manifest`'s window (`CodeGraph`'s `maxChunkChars`). */
export function chunkingFor(manifest: ModelManifest): ChunkingOptions {
  return { ...DEFAULT_CHUNKING, maxChars: Math.floor(manifest.maxTokens * manifest.charsPerToken) };
}

/** Every `every`-th discovered file of `corpus` (sorted by path), chunked. */
export async function* chunkCorpus(corpus: string, every: number, options: ChunkingOptions): AsyncGenerator<{ path: string; chunked: ChunkedFile }> {
  const { files } = await discoverFiles(corpus, DEFAULT_DISCOVERY);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parser = await CodeParser.create(defaultGrammarsDir());
  try {
    for (let index = 0; index < sorted.length; index += every) {
      const file = sorted[index]!;
      const decoded = decodeSourceText(readFileSync(file.absolutePath));
      if (!decoded.ok) continue;
      yield { path: file.path, chunked: await parser.chunk(decoded.text, languageById(file.language), options) };
    }
  } finally {
    parser.dispose();
  }
}
