import { sha256Hex } from '../hashing/hash.js';
import { lexicalTokens } from '../text/identifiers.js';

/** The FTS5 columns of one chunk, in `chunks_fts` order: symbol, path, doc, body. */
export type LexicalColumns = [symbol: string, path: string, doc: string, body: string];

/** What a chunk's FTS row is derived from; all of it is stored in `chunks` and `files`. */
export interface LexicalSource {
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly doc: string | null;
  readonly text: string;
}

/**
 * The FTS row of a chunk. `chunks_fts` is contentless, so deleting a row means
 * passing exactly the tokens it was inserted with: both go through this function.
 * `pathTokens` is `lexicalPathTokens(path)`, computed once per file.
 */
export function lexicalColumns(pathTokens: string, chunk: LexicalSource): LexicalColumns {
  const symbol = chunk.symbol ? lexicalTokens(`${chunk.parent ?? ''} ${chunk.symbol}`).join(' ') : '';
  return [symbol, pathTokens, chunk.doc ? lexicalTokens(chunk.doc).join(' ') : '', lexicalTokens(chunk.text).join(' ')];
}

export function lexicalPathTokens(path: string): string {
  return lexicalTokens(path).join(' ');
}

const PROBE = 'parseHTTPResponse2 get_user_name $el __init__ x86_64 IOError ÄpfelSaft 42 a.b/c-d';

/**
 * A fingerprint of how FTS rows are derived, kept in meta. If a new version
 * tokenises differently, old rows could no longer be deleted exactly, so the
 * store rebuilds the FTS table once when the fingerprint changes.
 */
export const LEXICAL_INDEX_FORMAT = `fts5-contentless:${sha256Hex(JSON.stringify(lexicalColumns(lexicalPathTokens('src/Http_client.ts'), { symbol: 'fetchAll', parent: 'HttpClient', doc: PROBE, text: PROBE })))}`;
