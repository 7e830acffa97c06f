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

/** 1 for the ASCII units `\s` matches (tab, line feed, vertical tab, form feed, carriage return, space). */
const ASCII_SPACE = (() => {
  const table = new Uint8Array(128);
  for (const code of [9, 10, 11, 12, 13, 32]) table[code] = 1;
  return table;
})();
let normalizedBytes = Buffer.allocUnsafeSlow(1 << 16);

/**
 * The key of a chunk's embedding: SHA-256 of its normalised content. An ASCII
 * text is normalised byte by byte into a scratch buffer and hashed from there
 * (the same bytes as the UTF-8 of `normalizeContent`); the regex, its string
 * and the hash's own UTF-8 pass were a worker's third-largest cost in script.
 */
export function chunkContentHash(text: string): string {
  const length = text.length;
  if (normalizedBytes.length < length) normalizedBytes = Buffer.allocUnsafeSlow(length);
  const out = normalizedBytes;
  let written = 0;
  let pendingSpace = false;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 128) return sha256Hex(normalizeContent(text));
    if (ASCII_SPACE[code] === 1) {
      pendingSpace = written > 0;
      continue;
    }
    if (pendingSpace) out[written++] = 32;
    pendingSpace = false;
    out[written++] = code;
  }
  return sha256Hex(out.subarray(0, written));
}

/** The key of a file's content: SHA-256 of its raw bytes. */
export function fileContentHash(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}
