/**
 * Identifier-aware word splitting shared by lexical search (FTS tokens), the
 * embedding pre-processing and the training corpus, so that all three see
 * `parseHTTPResponse`, `parse_http_response` and "parse http response" alike.
 */

const WORD = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g;
// Boundaries inside an identifier: lower→Upper, ACRONYMWord, letter↔digit.
const CAMEL_PARTS = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g;

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
 * "user" and "getusername" match.
 */
export function lexicalTokens(text: string): string[] {
  const tokens: string[] = [];
  const words = text.match(WORD);
  if (!words) return tokens;
  for (const word of words) {
    const parts = splitIdentifier(word);
    for (const part of parts) tokens.push(part);
    if (parts.length > 1) tokens.push(parts.join(''));
  }
  return tokens;
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

/** Distinct identifiers of a text, longest-first trimmed to `limit`, for per-chunk metadata. */
export function distinctIdentifiers(text: string, limit = 200): string[] {
  const seen = new Set<string>();
  for (const word of text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []) {
    if (word.length > 1) seen.add(word);
    if (seen.size >= limit) break;
  }
  return [...seen];
}
