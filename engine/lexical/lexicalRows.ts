import { sha256Hex } from '../hashing/hash.js';
import { lexicalTokenText } from '../text/identifiers.js';
import { eachFtsTerm } from './ftsTerms.js';

/** The lexical columns of one chunk, in order: symbol, path, doc, body. */
export type LexicalColumns = [symbol: string, path: string, doc: string, body: string];

/** BM25 weights of the lexical columns in order: a name match counts most, then doc, then path. */
export const LEXICAL_COLUMN_WEIGHTS = [4.0, 1.5, 2.0, 1.0] as const;

/** What a chunk's lexical row is derived from; all of it is stored in `chunks` and `files`. */
export interface LexicalSource {
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly doc: string | null;
  readonly text: string;
}

/**
 * A chunk's lexical row as the index holds it: its distinct terms (FTS5's `porter unicode61` terms of
 * its columns, in first-seen order), each term's column-weighted frequency (the weight of its column
 * summed once per instance, as FTS5's BM25 sums it), and its token count over all columns (BM25's
 * row length). Workers compute it while they chunk, so the coordinator's serial write chain only
 * encodes it; the store derives it again from stored rows when it rebuilds the index.
 */
export interface RowTerms {
  readonly terms: readonly string[];
  readonly frequencies: readonly number[];
  readonly tokens: number;
}

/** The symbol, doc and body columns of a chunk: everything but the path, which is its file's. */
function chunkLexicalTokens(chunk: LexicalSource): [symbol: string, doc: string, body: string] {
  const symbol = chunk.symbol ? lexicalTokenText(`${chunk.parent ?? ''} ${chunk.symbol}`) : '';
  return [symbol, chunk.doc ? lexicalTokenText(chunk.doc) : '', lexicalTokenText(chunk.text)];
}

/** The lexical columns of a chunk; `pathTokens` is `lexicalPathTokens(path)`, computed once per file. */
export function lexicalColumns(pathTokens: string, chunk: LexicalSource): LexicalColumns {
  const [symbol, doc, body] = chunkLexicalTokens(chunk);
  return [symbol, pathTokens, doc, body];
}

export function lexicalPathTokens(path: string): string {
  return lexicalTokenText(path);
}

/** The row of one chunk's columns: terms, weighted frequencies and token count. */
export function rowTerms(columns: LexicalColumns): RowTerms {
  const frequencyOf = new Map<string, number>();
  let tokens = 0;
  for (let column = 0; column < columns.length; column++) {
    const weight = LEXICAL_COLUMN_WEIGHTS[column]!;
    eachFtsTerm(columns[column]!, (term) => {
      tokens++;
      frequencyOf.set(term, (frequencyOf.get(term) ?? 0) + weight);
    });
  }
  return { terms: [...frequencyOf.keys()], frequencies: [...frequencyOf.values()], tokens };
}

/** `rowTerms` of a chunk of the file whose path tokens are `pathTokens`. */
export function chunkRowTerms(pathTokens: string, chunk: LexicalSource): RowTerms {
  return rowTerms(lexicalColumns(pathTokens, chunk));
}

const PROBE = 'parseHTTPResponse2 get_user_name $el __init__ x86_64 IOError ÄpfelSaft 42 a.b/c-d registered serializers';

/**
 * A fingerprint of how lexical rows are derived, kept in meta. When a new version derives terms
 * otherwise (tokenising, stemming, column weights), the stored postings no longer match what
 * queries look up, so the store rebuilds them once from the chunks.
 */
export const LEXICAL_INDEX_FORMAT = `postings-1:${sha256Hex(JSON.stringify(chunkRowTerms(lexicalPathTokens('src/Http_client.ts'), { symbol: 'fetchAll', parent: 'HttpClient', doc: PROBE, text: PROBE })))}`;
