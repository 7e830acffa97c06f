import * as nodeFs from 'node:fs';
import type { SkipReason } from './types.js';

const SNIFF_BYTES = 8192;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export type DecodedContent = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: SkipReason; readonly detail: string };

/**
 * Decodes file bytes as UTF-8 text, or says why not: NUL bytes in the first
 * 8 KiB mean binary (git's heuristic), and invalid UTF-8 is refused rather
 * than indexed as mojibake.
 */
export function decodeSourceText(bytes: Uint8Array): DecodedContent {
  const sniff = Math.min(bytes.length, SNIFF_BYTES);
  for (let index = 0; index < sniff; index++) {
    if (bytes[index] === 0) return { ok: false, reason: 'binary', detail: `NUL byte at offset ${index}` };
  }
  try {
    let text = UTF8.decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch {
    return { ok: false, reason: 'invalid-utf8', detail: 'not valid UTF-8' };
  }
}

/** The calls `readSourceFile` makes; injectable so that tests can count the bytes read. */
export interface SourceFileSystem {
  openSync(path: string, flags: 'r'): number;
  fstatSync(descriptor: number): { readonly size: number; readonly mtimeMs: number };
  readSync(descriptor: number, buffer: Buffer, offset: number, length: number, position: null): number;
  closeSync(descriptor: number): void;
}

export type SourceFile =
  | { readonly ok: true; readonly bytes: Buffer; readonly mtimeMs: number }
  | { readonly ok: false; readonly reason: SkipReason; readonly detail: string };

/**
 * Reads a file for indexing: its size and modification time from the open
 * descriptor (past `maxBytes` it is refused unread), its first 8 KiB, and the
 * rest only when that prefix has no NUL byte, so a huge or sparse binary (a
 * raised size limit lets one through) costs one small read instead of its whole
 * size in memory. Synchronous, for worker threads, where blocking holds up no
 * one: asynchronously each of the five to seven calls a file takes was a round
 * trip through libuv's pool, which the coordinator's SQLite writes share.
 * Throws what the file system throws (a file deleted since it was listed).
 */
export function readSourceFile(path: string, maxBytes: number, fs: SourceFileSystem = nodeFs): SourceFile {
  const descriptor = fs.openSync(path, 'r');
  try {
    const { size, mtimeMs } = fs.fstatSync(descriptor);
    if (size > maxBytes) return { ok: false, reason: 'too-large', detail: `${size} bytes` };
    // One byte more than the size, so that a file that grew since is read to its end in one pass too.
    let buffer = Buffer.allocUnsafe(Math.max(size, SNIFF_BYTES) + 1);
    let length = readInto(fs, descriptor, buffer, 0, SNIFF_BYTES);
    if (length < SNIFF_BYTES) return { ok: true, bytes: buffer.subarray(0, length), mtimeMs };
    const nul = buffer.subarray(0, SNIFF_BYTES).indexOf(0);
    if (nul >= 0) return { ok: false, reason: 'binary', detail: `NUL byte at offset ${nul}` };
    for (;;) {
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      const read = fs.readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) return { ok: true, bytes: buffer.subarray(0, length), mtimeMs };
      length += read;
    }
  } finally {
    fs.closeSync(descriptor);
  }
}

/** Reads until `buffer[offset, end)` is full or the file ends; returns the new length. */
function readInto(fs: SourceFileSystem, descriptor: number, buffer: Buffer, offset: number, end: number): number {
  let length = offset;
  while (length < end) {
    const read = fs.readSync(descriptor, buffer, length, end - length, null);
    if (read === 0) break;
    length += read;
  }
  return length;
}
