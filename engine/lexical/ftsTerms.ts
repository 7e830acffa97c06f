/**
 * The terms FTS5's `porter unicode61` tokenizer makes of a `chunks_fts` column, in our own code, so
 * that postings held in memory (lexicalIndex.ts) hold exactly the terms FTS5 holds.
 *
 * The columns are `lexicalTokenText` output: lowercase ASCII letters and digits separated by spaces.
 * On ASCII, unicode61 keeps runs of letters and digits (case folded) and splits on everything else;
 * porter then stems each token, passing tokens over 64 bytes through unchanged
 * (FTS5_PORTER_MAX_TOKEN). The npm `stemmer` (pinned to 1.0.5, CommonJS; 2.0.1 is the same algorithm as an ES module, and the one the notes measured) gave FTS5's term for
 * every one of 59,338 distinct tokens of 20,000 real chunks (bench/speed/NOTES.md), and the tests
 * compare with FTS5 itself.
 */
/// <reference path="./stemmer.d.ts" />
import stemmer = require('stemmer');

/** FTS5's porter tokenizer leaves longer tokens unstemmed. */
const PORTER_MAX_TOKEN = 64;

/** Stems are memoised: code repeats its words. Cleared when full, so the memory stays bounded. */
const STEM_CACHE_LIMIT = 50_000;
const stemCache = new Map<string, string>();

/** FTS5's term for one lowercase ASCII token. */
export function ftsTerm(token: string): string {
  let stem = stemCache.get(token);
  if (stem === undefined) {
    stem = token.length > PORTER_MAX_TOKEN ? token : stemmer(token);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(token, stem);
  }
  return stem;
}

/** Whether `text` is one token to unicode61, made of what `ftsTerms` handles: lowercase ASCII letters and digits. */
export function isSimpleToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) if (!isLowerAlphanumeric(text.charCodeAt(index))) return false;
  return true;
}

/**
 * Calls `onTerm` with each term of `text`, in order, as FTS5 would index it. Uppercase ASCII is
 * folded; any other character separates tokens. Text with characters above ASCII is not what the
 * columns hold, and unicode61 would keep some of them in tokens: the caller must not pass it.
 */
export function eachFtsTerm(text: string, onTerm: (term: string) => void): void {
  const length = text.length;
  let index = 0;
  while (index < length) {
    let code = text.charCodeAt(index);
    if (!isAlphanumeric(code)) {
      index++;
      continue;
    }
    const start = index;
    let folded = false;
    while (index < length && isAlphanumeric((code = text.charCodeAt(index)))) {
      if (code <= 90 && code >= 65) folded = true;
      index++;
    }
    const token = text.slice(start, index);
    onTerm(ftsTerm(folded ? token.toLowerCase() : token));
  }
}

function isAlphanumeric(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
}

function isLowerAlphanumeric(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}
