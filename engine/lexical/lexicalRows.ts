import { sha256Hex } from '../hashing/hash.js';
import { lexicalTokenBytes, lexicalTokenText } from '../text/identifiers.js';
import { ftsTerm } from './ftsTerms.js';
import { withRoom } from './typedArrays.js';

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
 * FTS5's term of each token seen, looked up by the token's bytes: a worker's tokens repeat across
 * files (the language's keywords, the project's names), so a token becomes a string and is stemmed
 * once, not once a file. Open addressing over typed arrays; cleared when full, so memory stays bounded.
 */
const TOKEN_LIMIT = 1 << 17;

class TokenTerms {
  private static readonly LIMIT = TOKEN_LIMIT;
  /** Slot → entry + 1 (0: empty); twice `LIMIT` slots, so probes stay short. */
  private readonly slots = new Int32Array(TokenTerms.LIMIT * 2);
  private count = 0;
  private readonly start = new Int32Array(TokenTerms.LIMIT);
  private readonly length = new Int32Array(TokenTerms.LIMIT);
  private readonly hashes = new Int32Array(TokenTerms.LIMIT);
  readonly stems: string[] = [];
  private keys = new Uint8Array(1 << 20);
  private keyBytes = 0;
  /** Bumped at each clear: an entry number is only meaningful with the epoch it was given in. */
  epoch = 0;

  /** The entry of the token `bytes[start, end)` whose FNV-1a hash is `hash`, made (and stemmed) when new. */
  entryOf(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]! - 1;
      if (entry < 0) break;
      if (this.hashes[entry] !== hash || this.length[entry] !== length) continue;
      const key = this.start[entry]!;
      let same = true;
      for (let at = 0; at < length && same; at++) same = this.keys[key + at] === bytes[start + at];
      if (same) return entry;
    }
    if (this.count === TokenTerms.LIMIT) {
      this.clear();
      return this.entryOf(bytes, start, end, hash);
    }
    if (this.keyBytes + length > this.keys.length) this.keys = withRoom(this.keys, this.keyBytes + length);
    const entry = this.count++;
    this.keys.set(bytes.subarray(start, end), this.keyBytes);
    this.start[entry] = this.keyBytes;
    this.length[entry] = length;
    this.hashes[entry] = hash;
    this.stems[entry] = ftsTerm(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1'));
    this.keyBytes += length;
    this.slots[slot] = entry + 1;
    return entry;
  }

  private clear(): void {
    this.slots.fill(0);
    this.count = 0;
    this.keyBytes = 0;
    this.stems.length = 0;
    this.epoch++;
  }
}

/** Made at the first row built (a worker's first file), not by every process that imports this module. */
let tokenTermsMade: TokenTerms | null = null;
function tokenTerms(): TokenTerms {
  return (tokenTermsMade ??= new TokenTerms());
}

/**
 * Builds the rows of one file's chunks over one dictionary. Columns come as `lexicalTokenText` bytes
 * (lowercase ASCII letters and digits separated by single spaces: exactly the tokens `eachFtsTerm`
 * would make of them), and each token is looked up by its bytes (`TokenTerms`): splitting each column
 * into strings and stemming every instance through `ftsTerm` was a worker's largest lexical cost in
 * a cold index (bench/speed/NOTES.md).
 */
class FileRowBuilder {
  private readonly dictionary: string[] = [];
  private readonly termIndexOf = new Map<string, number>();
  /** Stamps `entryStamps` with: entries stamped otherwise are not yet terms of this file. */
  private readonly tokens = tokenTerms();
  private stamp = nextStamp();
  private epoch = this.tokens.epoch;
  private sums = new Uint32Array(256);
  private readonly terms: number[] = [];
  private readonly sumsOfTerms: number[] = [];
  private readonly rows: { start: number; end: number; tokens: number }[] = [];
  private rowStart = 0;
  private rowTokens = 0;

  /** Adds the tokens of one column (bytes `[0, length)` of `bytes`) to the current row. */
  addColumn(bytes: Uint8Array, length: number, weight: number): void {
    const doubled = 2 * weight;
    let start = 0;
    while (start < length) {
      let end = start;
      let hash = 0x811c9dc5;
      while (end < length && bytes[end] !== 32) {
        hash = Math.imul(hash ^ bytes[end]!, 0x01000193);
        end++;
      }
      const term = this.termOf(bytes, start, end, hash);
      if (this.sums[term] === 0) this.terms.push(term);
      this.sums[term]! += doubled;
      this.rowTokens++;
      start = end + 1;
    }
  }

  endRow(): void {
    for (let at = this.rowStart; at < this.terms.length; at++) {
      this.sumsOfTerms.push(this.sums[this.terms[at]!]!);
      this.sums[this.terms[at]!] = 0;
    }
    this.rows.push({ start: this.rowStart, end: this.terms.length, tokens: this.rowTokens });
    this.rowStart = this.terms.length;
    this.rowTokens = 0;
  }

  /** Every row's term indexes, then their doubled frequencies, in one buffer: a typed array a row made two small buffers a chunk for the coordinator to receive. */
  finish(): RowTerms[] {
    const count = this.terms.length;
    const packed = new Uint32Array(count * 2);
    packed.set(this.terms);
    packed.set(this.sumsOfTerms, count);
    const dictionary = this.dictionary;
    return this.rows.map(({ start, end, tokens }) => ({ dictionary, indexes: packed.subarray(start, end), doubled: packed.subarray(count + start, count + end), tokens }));
  }

  private termOf(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const entry = this.tokens.entryOf(bytes, start, end, hash);
    if (this.epoch !== this.tokens.epoch) {
      // The token table was cleared: its entry numbers start over, so this file's stamps mean nothing now.
      this.epoch = this.tokens.epoch;
      this.stamp = nextStamp();
    }
    const entryStamps = (entryStampsMade ??= new Int32Array(TOKEN_LIMIT));
    const entryTermIndexes = (entryTermIndexesMade ??= new Int32Array(TOKEN_LIMIT));
    if (entryStamps[entry] === this.stamp) return entryTermIndexes[entry]!;
    const stem = this.tokens.stems[entry]!;
    let term = this.termIndexOf.get(stem);
    if (term === undefined) {
      this.termIndexOf.set(stem, (term = this.dictionary.length));
      this.dictionary.push(stem);
      if (term >= this.sums.length) this.sums = withRoom(this.sums, term + 1);
    }
    entryStamps[entry] = this.stamp;
    entryTermIndexes[entry] = term;
    return term;
  }
}

/** Per token entry: the stamp of the file (builder) that last gave it a term index, and that index. */
let entryStampsMade: Int32Array | null = null;
let entryTermIndexesMade: Int32Array | null = null;
let stamps = 0;

function nextStamp(): number {
  stamps = (stamps + 1) | 0 || 1;
  return stamps;
}

/**
 * The rows of the chunks of one file, whose path tokens are `pathTokens` (`lexicalPathTokens`), over one
 * dictionary: the terms of their `lexicalColumns`, with the symbol, doc and body tokens written as bytes
 * and read once, never made strings. Workers and the store's rebuild both derive rows here.
 */
export function fileRowTerms(pathTokens: string, chunks: readonly LexicalSource[]): RowTerms[] {
  const builder = new FileRowBuilder();
  const path = Buffer.from(pathTokens, 'latin1');
  const [symbolWeight, pathWeight, docWeight, bodyWeight] = LEXICAL_COLUMN_WEIGHTS;
  for (const chunk of chunks) {
    if (chunk.symbol) {
      const symbol = lexicalTokenBytes(`${chunk.parent ?? ''} ${chunk.symbol}`);
      builder.addColumn(symbol.bytes, symbol.length, symbolWeight);
    }
    builder.addColumn(path, path.length, pathWeight);
    if (chunk.doc) {
      const doc = lexicalTokenBytes(chunk.doc);
      builder.addColumn(doc.bytes, doc.length, docWeight);
    }
    const body = lexicalTokenBytes(chunk.text);
    builder.addColumn(body.bytes, body.length, bodyWeight);
    builder.endRow();
  }
  return builder.finish();
}

/** The row of one chunk of the file whose path tokens are `pathTokens`. */
export function chunkRowTerms(pathTokens: string, chunk: LexicalSource): RowTerms {
  return fileRowTerms(pathTokens, [chunk])[0]!;
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
