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
