import { createHash } from 'node:crypto';

/**
 * Whitespace-insensitive normal form of chunk content: re-indenting or
 * re-wrapping code keeps its embedding, since the model ignores layout anyway.
 */
export function normalizeContent(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The key of a chunk's embedding: SHA-256 of its normalised content. */
export function chunkContentHash(text: string): string {
  return sha256Hex(normalizeContent(text));
}

/** The key of a file's content: SHA-256 of its raw bytes. */
export function fileContentHash(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}
