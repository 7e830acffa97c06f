import { open, type FileHandle } from 'node:fs/promises';
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

/** Opens a file for reading; injectable so that tests can count the bytes read. */
export type FileOpener = (path: string) => Promise<Pick<FileHandle, 'read' | 'readFile' | 'close'>>;

export type SourceBytes = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: SkipReason; readonly detail: string };

/**
 * Reads a file for indexing: its first 8 KiB, and the rest only when that
 * prefix has no NUL byte. A huge or sparse binary (a raised size limit lets
 * one through) then costs one small read instead of its whole size in memory.
 */
export async function readSourceBytes(path: string, openFile: FileOpener = (file) => open(file, 'r')): Promise<SourceBytes> {
  const handle = await openFile(path);
  try {
    const prefix = Buffer.alloc(SNIFF_BYTES);
    let length = 0;
    while (length < SNIFF_BYTES) {
      const { bytesRead } = await handle.read(prefix, length, SNIFF_BYTES - length, null);
      if (bytesRead === 0) return { ok: true, bytes: prefix.subarray(0, length) };
      length += bytesRead;
    }
    const nul = prefix.indexOf(0);
    if (nul >= 0) return { ok: false, reason: 'binary', detail: `NUL byte at offset ${nul}` };
    // readFile continues from the current position, after the prefix.
    const rest = await handle.readFile();
    return { ok: true, bytes: rest.length === 0 ? prefix : Buffer.concat([prefix, rest]) };
  } finally {
    await handle.close();
  }
}
