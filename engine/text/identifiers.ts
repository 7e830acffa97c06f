/**
 * Identifier-aware word splitting shared by lexical search (FTS tokens), the
 * embedding pre-processing and the training corpus, so that all three see
 * `parseHTTPResponse`, `parse_http_response` and "parse http response" alike.
 */

// Boundaries inside an identifier: lower→Upper, ACRONYMWord, letter↔digit.
const CAMEL_PARTS = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g;

const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
const JOINER = 4;
/** ASCII classes for identifier scanning: letters by case, digits, and `_`/`$`; 0 for the rest. */
const IDENTIFIER_CLASS = (() => {
  const table = new Uint8Array(128);
  for (let code = 65; code <= 90; code++) table[code] = UPPER;
  for (let code = 97; code <= 122; code++) table[code] = LOWER;
  for (let code = 48; code <= 57; code++) table[code] = DIGIT;
  table[95] = JOINER;
  table[36] = JOINER;
  return table;
})();

/** Splits one identifier into lower-case parts: `parseHTTPResponse2` → [parse, http, response, 2]. */
export function splitIdentifier(identifier: string): string[] {
  const parts: string[] = [];
  for (const piece of identifier.split(/[_$]+/)) {
    if (!piece) continue;
    const matches = piece.match(CAMEL_PARTS);
    if (matches) for (const part of matches) parts.push(part.toLowerCase());
  }
  return parts;
}

/**
 * Lexical tokens of a text: for each identifier, its parts, plus the whole
 * identifier (lower-cased) when it has more than one part, so that both
 * "user" and "getusername" match. Words are identifiers or digit runs
 * (`/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g`); parts follow `splitIdentifier`'s
 * rules, found by char class.
 */
export function lexicalTokens(text: string): string[] {
  const joined = lexicalTokenText(text);
  // Tokens are never empty and hold no space, so splitting undoes the join exactly.
  return joined === '' ? [] : joined.split(' ');
}

/** Scratch for `lexicalTokenText`: one byte a token character (tokens are ASCII). */
let tokenBytes = Buffer.allocUnsafeSlow(1 << 16);

/**
 * `lexicalTokens(text).join(' ')`, written byte by byte into a scratch buffer
 * and made one string: the FTS columns of every chunk are this, and a string
 * per token, a lower-cased copy per capitalised part and the join were a
 * tenth of a worker's time in a cold index.
 */
export function lexicalTokenText(text: string): string {
  return tokenBytes.toString('latin1', 0, writeLexicalTokens(text));
}

/**
 * `lexicalTokenText(text)` as bytes: the scratch buffer and the length written, valid until the next
 * call. For a caller that reads the tokens once (the lexical rows) and needs no string of them.
 */
export function lexicalTokenBytes(text: string): { readonly bytes: Uint8Array; readonly length: number } {
  const length = writeLexicalTokens(text);
  return { bytes: tokenBytes, length };
}

/** Writes `lexicalTokenText(text)` into `tokenBytes`; returns its length. */
function writeLexicalTokens(text: string): number {
  const classes = IDENTIFIER_CLASS;
  const length = text.length;
  // An identifier of n units writes at most 3n + 1 bytes: n of parts with up to n spaces, then a space and the whole.
  if (tokenBytes.length < 3 * length + 2) tokenBytes = Buffer.allocUnsafeSlow(3 * length + 2);
  const out = tokenBytes;
  let written = 0;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    const kind = code < 128 ? classes[code]! : 0;
    if (kind === 0) {
      index++;
      continue;
    }
    let stop = index + 1;
    if (kind === DIGIT) {
      while (stop < length && text.charCodeAt(stop) < 128 && classes[text.charCodeAt(stop)] === DIGIT) stop++;
      if (written > 0) out[written++] = 32;
      for (let at = index; at < stop; at++) out[written++] = text.charCodeAt(at);
      index = stop;
      continue;
    }
    while (stop < length) {
      const next = text.charCodeAt(stop);
      if (next >= 128 || classes[next] === 0) break;
      stop++;
    }
    let parts = 0;
    const wordStart = written;
    let at = index;
    while (at < stop) {
      const start = classes[text.charCodeAt(at)]!;
      if (start === JOINER) {
        at++;
        continue;
      }
      const partEnd = camelPartEnd(text, at, stop, start);
      if (written > 0) out[written++] = 32;
      for (let char = at; char < partEnd; char++) {
        const unit = text.charCodeAt(char);
        out[written++] = classes[unit] === UPPER ? unit + 32 : unit;
      }
      parts++;
      at = partEnd;
    }
    if (parts > 1) {
      // The whole identifier: its parts again without the spaces between them.
      const end = written;
      out[written++] = 32;
      for (let char = wordStart; char < end; char++) if (out[char] !== 32) out[written++] = out[char]!;
    }
    index = stop;
  }
  return written;
}

const SPLIT_CACHE_LIMIT = 100_000;
const splitCache = new Map<string, string>();

/** An identifier's parts joined by spaces, or the identifier itself when it has none (`_`, `$`); memoised: code repeats identifiers. */
function splitForText(word: string): string {
  let split = splitCache.get(word);
  if (split === undefined) {
    const parts = splitIdentifier(word);
    split = parts.length > 0 ? parts.join(' ') : word;
    if (splitCache.size >= SPLIT_CACHE_LIMIT) splitCache.clear();
    splitCache.set(word, split);
  }
  return split;
}

/** Words of a text with identifiers split, in order, for the embedding model's pre-processing. */
export function splitIdentifiersInText(text: string): string {
  return text.replace(/[A-Za-z_$][A-Za-z0-9_$]*/g, splitForText);
}

/**
 * End of the identifier part that starts at `at` (of class `first`, not a
 * joiner) within an identifier ending at `stop`: CAMEL_PARTS by char class.
 */
function camelPartEnd(text: string, at: number, stop: number, first: number): number {
  const classes = IDENTIFIER_CLASS;
  let end = at + 1;
  if (first === UPPER) {
    while (end < stop && classes[text.charCodeAt(end)] === UPPER) end++;
    if (end < stop && classes[text.charCodeAt(end)] === LOWER) {
      // `HTTPResponse`: the run's last capital starts the next part; a single capital leads its lower-case run.
      if (end - at >= 2) end--;
      else while (end < stop && classes[text.charCodeAt(end)] === LOWER) end++;
    }
  } else {
    while (end < stop && classes[text.charCodeAt(end)] === first) end++;
  }
  return end;
}

/**
 * `splitIdentifiersInText(text.slice(0, end))` written as UTF-16 code units
 * into `out` from `offset`; returns the end offset. `out` needs room for
 * `2 * end` units: splitting at most doubles an identifier. Same rules as
 * `splitIdentifier` (the CAMEL_PARTS regex), by char class instead of regex,
 * so the embedding's tokenizer makes no strings. Identifiers are ASCII; other
 * characters are copied, through `mapOther` when given (it maps each
 * non-ASCII unit, 0 meaning "cannot map": the call then returns -1).
 */
export function splitIdentifiersIntoCodes(text: string, end: number, out: Uint16Array, offset: number, mapOther: Uint16Array | null = null): number {
  const classes = IDENTIFIER_CLASS;
  let written = offset;
  let index = 0;
  while (index < end) {
    const code = text.charCodeAt(index);
    if (code >= 128) {
      const mapped = mapOther ? mapOther[code]! : code;
      if (mapped === 0) return -1;
      out[written++] = mapped;
      index++;
      continue;
    }
    const kind = classes[code]!;
    // An identifier starts at a letter, `_` or `$`; digits outside one are copied.
    if (kind === 0 || kind === DIGIT) {
      out[written++] = code;
      index++;
      continue;
    }
    let stop = index + 1;
    while (stop < end) {
      const next = text.charCodeAt(stop);
      if (next >= 128 || classes[next] === 0) break;
      stop++;
    }
    let parts = 0;
    let at = index;
    while (at < stop) {
      const first = classes[text.charCodeAt(at)]!;
      if (first === JOINER) {
        at++;
        continue;
      }
      const partEnd = camelPartEnd(text, at, stop, first);
      if (parts > 0) out[written++] = 32;
      for (let char = at; char < partEnd; char++) {
        const unit = text.charCodeAt(char);
        out[written++] = classes[unit] === UPPER ? unit + 32 : unit;
      }
      parts++;
      at = partEnd;
    }
    // Only `_` and `$`: kept as they are.
    if (parts === 0) for (let char = index; char < stop; char++) out[written++] = text.charCodeAt(char);
    index = stop;
  }
  return written;
}
