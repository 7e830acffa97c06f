import { splitIdentifiersInText, splitIdentifiersIntoCodes } from '../text/identifiers.js';
import type { PreprocessStep } from './manifest.js';

/** Applies the manifest's pre-processing, in order. Pure; mirrored by the Python training code. */
export function preprocessText(text: string, steps: readonly PreprocessStep[]): string {
  let result = text;
  for (const step of steps) {
    switch (step) {
      case 'split-identifiers':
        result = splitIdentifiersInText(result);
        break;
      case 'lowercase':
        result = result.toLowerCase();
        break;
      case 'collapse-whitespace':
        result = result.replace(/\s+/g, ' ').trim();
        break;
    }
  }
  return result;
}

/**
 * `String#toLowerCase` of each UTF-16 unit taken alone, or 0 where the
 * result depends on more than the unit: surrogates (astral characters), `Σ`
 * (final sigma depends on its neighbours), and units whose lower case is not
 * one unit (`İ`) or is an ASCII capital. Built from `toLowerCase` itself.
 */
let lowerUnits: Uint16Array | undefined;
function lowerUnitTable(): Uint16Array {
  if (lowerUnits) return lowerUnits;
  const table = new Uint16Array(65536);
  for (let code = 1; code < 65536; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const lower = String.fromCharCode(code).toLowerCase();
    const unit = lower.charCodeAt(0);
    if (lower.length === 1 && code !== 0x03a3 && !(unit >= 65 && unit <= 90)) table[code] = unit;
  }
  return (lowerUnits = table);
}

let spaceUnits: Uint8Array | undefined;
/** 1 for the units `\s` matches (and `trim` removes). */
function spaceUnitTable(): Uint8Array {
  if (spaceUnits) return spaceUnits;
  const table = new Uint8Array(65536);
  for (let code = 0; code < 65536; code++) if (/\s/.test(String.fromCharCode(code))) table[code] = 1;
  return (spaceUnits = table);
}

/**
 * `prefix + preprocessText(text.slice(0, end), steps)` as UTF-16 code units in
 * `out` (which needs room for `prefix.length + 2 * end`), returning the length;
 * or -1 for the texts the string path must take: lower-casing that depends on
 * context (final sigma, astral characters, `İ`), or identifier splitting after
 * another step.
 */
export function preprocessIntoCodes(prefix: string, text: string, end: number, steps: readonly PreprocessStep[], out: Uint16Array): number {
  for (let index = 0; index < prefix.length; index++) out[index] = prefix.charCodeAt(index);
  const start = prefix.length;
  let length: number;
  let step = 0;
  if (steps[0] === 'split-identifiers') {
    // Splitting leaves no ASCII capital (letters only occur in identifiers, whose parts are
    // lower-cased), so a lowercase step right after it only has the other units to map: done here.
    const lowercase = steps[1] === 'lowercase';
    length = splitIdentifiersIntoCodes(text, end, out, start, lowercase ? lowerUnitTable() : null);
    if (length < 0) return -1;
    step = lowercase ? 2 : 1;
  } else {
    for (let index = 0; index < end; index++) out[start + index] = text.charCodeAt(index);
    length = start + end;
  }
  for (; step < steps.length; step++) {
    switch (steps[step]) {
      case 'split-identifiers':
        return -1;
      case 'lowercase': {
        const table = lowerUnitTable();
        for (let index = start; index < length; index++) {
          const code = out[index]!;
          if (code < 128) {
            if (code >= 65 && code <= 90) out[index] = code + 32;
            continue;
          }
          const lower = table[code]!;
          if (lower === 0) return -1;
          out[index] = lower;
        }
        break;
      }
      case 'collapse-whitespace':
        length = collapseWhitespace(out, start, length);
        break;
    }
  }
  return length;
}

/** `.replace(/\s+/g, ' ').trim()` in place over `codes[start, end)`; returns the new end. */
function collapseWhitespace(codes: Uint16Array, start: number, end: number): number {
  const spaces = spaceUnitTable();
  let written = start;
  let pendingSpace = false;
  for (let index = start; index < end; index++) {
    const code = codes[index]!;
    if (spaces[code] === 1) {
      pendingSpace = written > start;
      continue;
    }
    if (pendingSpace) codes[written++] = 32;
    pendingSpace = false;
    codes[written++] = code;
  }
  return written;
}
