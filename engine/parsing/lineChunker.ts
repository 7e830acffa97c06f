import { chunkContentHash } from '../hashing/hash.js';
import type { Chunk, ChunkedFile, ChunkingOptions } from './chunk.js';

const EMPTY_METRICS = { nodeCount: 0, complexity: 1 };

/**
 * Fixed line windows with overlap, capped by characters so that one long line
 * (a minified bundle) still yields model-sized pieces.
 */
export function chunkByLines(source: string, options: ChunkingOptions, method: 'lines' | 'fallback' = 'lines'): ChunkedFile {
  const lines = source.split('\n');
  const chunks: Chunk[] = [];
  const step = Math.max(1, options.windowLines - options.windowOverlap);
  for (let start = 0; start < lines.length; start += step) {
    const end = Math.min(lines.length, start + options.windowLines);
    for (const piece of splitByChars(lines, start, end, options.maxChars)) {
      pushLineChunk(chunks, piece.text, piece.startLine, piece.endLine);
    }
    if (end >= lines.length) break;
  }
  return { chunks, analysis: { imports: [], definitions: [], references: [] }, method };
}

function pushLineChunk(chunks: Chunk[], text: string, startLine: number, endLine: number): void {
  if (text.trim().length === 0) return;
  chunks.push({
    ordinal: chunks.length,
    symbol: null,
    parent: null,
    kind: 'lines',
    startLine,
    endLine,
    text,
    piece: 0,
    doc: null,
    contentHash: chunkContentHash(text),
    metrics: EMPTY_METRICS,
    calls: [],
  });
}

export interface LinePiece {
  readonly text: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  /** Where the piece's text starts in the lines [start, end) joined by newlines (0-based). */
  readonly offset: number;
}

/**
 * Packs lines [start, end) (0-based) into pieces of at most `maxChars`; a single
 * line longer than that is cut into character slices that keep its line number.
 */
export function splitByChars(lines: readonly string[], start: number, end: number, maxChars: number): LinePiece[] {
  const pieces: LinePiece[] = [];
  let buffer: string[] = [];
  let bufferStart = start;
  let bufferOffset = 0;
  let size = 0;
  // Where the next line starts in the joined text.
  let lineOffset = 0;
  const flush = (lastLine: number) => {
    if (buffer.length > 0) pieces.push({ text: buffer.join('\n'), startLine: bufferStart + 1, endLine: lastLine + 1, offset: bufferOffset });
    buffer = [];
    size = 0;
  };
  for (let index = start; index < end; index++) {
    const line = lines[index] ?? '';
    const lineStart = lineOffset;
    lineOffset += line.length + 1;
    if (line.length > maxChars) {
      flush(index - 1);
      for (let offset = 0; offset < line.length; offset += maxChars) {
        pieces.push({ text: line.slice(offset, offset + maxChars), startLine: index + 1, endLine: index + 1, offset: lineStart + offset });
      }
      bufferStart = index + 1;
      continue;
    }
    if (size + line.length + 1 > maxChars && buffer.length > 0) {
      flush(index - 1);
      bufferStart = index;
    }
    if (buffer.length === 0) {
      bufferStart = index;
      bufferOffset = lineStart;
    }
    buffer.push(line);
    size += line.length + 1;
  }
  flush(end - 1);
  return pieces;
}
