import { sha256Hex } from '../hashing/hash.js';
import { lexicalTokenText } from '../text/identifiers.js';
import { ftsTerm } from './ftsTerms.js';

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
 * its columns), each with twice its column-weighted frequency (the weight of its column summed once per
 * instance, as FTS5's BM25 sums it; the weights are multiples of 0.5, so this is an integer), and its
 * token count over all columns (BM25's row length). The terms are indexes into a dictionary that the
 * rows of one file share: workers compute the rows while they chunk and send them as typed arrays and
 * one list of strings per file, so the coordinator, whose serial write chain the workers wait on,
 * groups postings by integers and hashes each distinct term of a file once, not each posting.
 */
export interface RowTerms {
  readonly dictionary: readonly string[];
  readonly indexes: Uint32Array;
  readonly doubled: Uint32Array;
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

/**
 * The rows of chunks whose columns are given, sharing one dictionary (the chunks of one file).
 * The columns are `lexicalTokenText` output, lowercase ASCII letters and digits separated by single
 * spaces, so splitting on spaces gives exactly the tokens `eachFtsTerm` would. Each distinct token
 * of the file is stemmed once and each instance costs one map lookup: stemming every instance
 * through `ftsTerm` was a worker's largest lexical cost in a cold index.
 */
export function rowsOfColumns(columnsOfRows: readonly LexicalColumns[]): RowTerms[] {
  const dictionary: string[] = [];
  const termIndexOf = new Map<string, number>();
  const termOfToken = new Map<string, number>();
  let sums = new Uint32Array(256);
  // Every row's term indexes, then their doubled frequencies, in one buffer per file: a typed array
  // a row made two small buffers a chunk for the coordinator to receive and collect.
  const terms: number[] = [];
  const sumsOfTerms: number[] = [];
  const rows: { start: number; end: number; tokens: number }[] = [];
  for (const columns of columnsOfRows) {
    const start = terms.length;
    let tokens = 0;
    for (let column = 0; column < columns.length; column++) {
      const text = columns[column]!;
      if (text === '') continue;
      const weight = 2 * LEXICAL_COLUMN_WEIGHTS[column]!;
      for (const token of text.split(' ')) {
        tokens++;
        let term = termOfToken.get(token);
        if (term === undefined) {
          const stem = ftsTerm(token);
          term = termIndexOf.get(stem);
          if (term === undefined) {
            termIndexOf.set(stem, (term = dictionary.length));
            dictionary.push(stem);
            if (term >= sums.length) {
              const grown = new Uint32Array(sums.length * 2);
              grown.set(sums);
              sums = grown;
            }
          }
          termOfToken.set(token, term);
        }
        if (sums[term] === 0) terms.push(term);
        sums[term]! += weight;
      }
    }
    for (let at = start; at < terms.length; at++) {
      sumsOfTerms.push(sums[terms[at]!]!);
      sums[terms[at]!] = 0;
    }
    rows.push({ start, end: terms.length, tokens });
  }
  const packed = new Uint32Array(terms.length * 2);
  packed.set(terms);
  packed.set(sumsOfTerms, terms.length);
  return rows.map(({ start, end, tokens }) => ({ dictionary, indexes: packed.subarray(start, end), doubled: packed.subarray(terms.length + start, terms.length + end), tokens }));
}

/** The row of one chunk's columns. */
export function rowTerms(columns: LexicalColumns): RowTerms {
  return rowsOfColumns([columns])[0]!;
}

/** The rows of the chunks of one file, whose path tokens are `pathTokens` (`lexicalPathTokens`). */
export function fileRowTerms(pathTokens: string, chunks: readonly LexicalSource[]): RowTerms[] {
  return rowsOfColumns(chunks.map((chunk) => lexicalColumns(pathTokens, chunk)));
}

/** `rowTerms` of a chunk of the file whose path tokens are `pathTokens`. */
export function chunkRowTerms(pathTokens: string, chunk: LexicalSource): RowTerms {
  return rowTerms(lexicalColumns(pathTokens, chunk));
}

/** A row's terms as strings with their weighted frequencies, in the row's order: for checks and tests. */
export function rowTermEntries(row: RowTerms): [term: string, frequency: number][] {
  return Array.from(row.indexes, (index, at) => [row.dictionary[index]!, row.doubled[at]! / 2]);
}

const PROBE = 'parseHTTPResponse2 get_user_name $el __init__ x86_64 IOError ÄpfelSaft 42 a.b/c-d registered serializers';

/**
 * A fingerprint of how lexical rows are derived, kept in meta. When a new version derives terms
 * otherwise (tokenising, stemming, column weights), the stored postings no longer match what
 * queries look up, so the store rebuilds them once from the chunks.
 */
export const LEXICAL_INDEX_FORMAT = `postings-1:${sha256Hex(JSON.stringify(rowTermEntries(chunkRowTerms(lexicalPathTokens('src/Http_client.ts'), { symbol: 'fetchAll', parent: 'HttpClient', doc: PROBE, text: PROBE }))))}`;
