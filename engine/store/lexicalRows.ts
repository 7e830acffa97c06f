import { sha256Hex } from '../hashing/hash.js';
import { lexicalTokenText } from '../text/identifiers.js';

/** The FTS5 columns of one chunk, in `chunks_fts` order: symbol, path, doc, body. */
export type LexicalColumns = [symbol: string, path: string, doc: string, body: string];

/** BM25 weights of the `chunks_fts` columns in order: a name match counts most, then doc, then path. */
export const LEXICAL_COLUMN_WEIGHTS = [4.0, 1.5, 2.0, 1.0] as const;

/** What a chunk's FTS row is derived from; all of it is stored in `chunks` and `files`. */
export interface LexicalSource {
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly doc: string | null;
  readonly text: string;
}

/** A chunk's own FTS columns (symbol, doc, body): everything but the path, which is its file's. */
export type ChunkLexicalTokens = [symbol: string, doc: string, body: string];

/**
 * The symbol, doc and body tokens of a chunk. Workers compute them while they chunk
 * (`chunkLexicalTokens` over each chunk they send), so that the coordinator, whose
 * serial write chain the workers wait on, only binds them; the store computes them
 * again from stored rows to delete or rebuild FTS rows. Both go through this one function.
 */
export function chunkLexicalTokens(chunk: LexicalSource): ChunkLexicalTokens {
  const symbol = chunk.symbol ? lexicalTokenText(`${chunk.parent ?? ''} ${chunk.symbol}`) : '';
  return [symbol, chunk.doc ? lexicalTokenText(chunk.doc) : '', lexicalTokenText(chunk.text)];
}

/**
 * The FTS row of a chunk. `chunks_fts` is contentless, so deleting a row means
 * passing exactly the tokens it was inserted with: both go through this function.
 * `pathTokens` is `lexicalPathTokens(path)`, computed once per file; `tokens`, when
 * given, are the chunk's `chunkLexicalTokens` computed already (by a worker).
 */
export function lexicalColumns(pathTokens: string, chunk: LexicalSource, tokens: ChunkLexicalTokens = chunkLexicalTokens(chunk)): LexicalColumns {
  return [tokens[0], pathTokens, tokens[1], tokens[2]];
}

export function lexicalPathTokens(path: string): string {
  return lexicalTokenText(path);
}

const PROBE = 'parseHTTPResponse2 get_user_name $el __init__ x86_64 IOError ÄpfelSaft 42 a.b/c-d';

/**
 * A fingerprint of how FTS rows are derived, kept in meta. If a new version
 * tokenises differently, old rows could no longer be deleted exactly, so the
 * store rebuilds the FTS table once when the fingerprint changes.
 */
export const LEXICAL_INDEX_FORMAT = `fts5-contentless:${sha256Hex(JSON.stringify(lexicalColumns(lexicalPathTokens('src/Http_client.ts'), { symbol: 'fetchAll', parent: 'HttpClient', doc: PROBE, text: PROBE })))}`;
