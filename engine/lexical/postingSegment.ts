/**
 * The lexical index as the cache stores it: segments of postings, one per write
 * (rows `lexical_segments` of the store), each saying "remove these chunk ids,
 * then add these rows". Read in order, the segments give every live row with its
 * terms, which is what BM25 needs. A write appends one segment in its own
 * transaction, so a killed process leaves the segments of the writes it committed,
 * nothing else; merging a run of segments keeps what they say (`mergeSegments`).
 *
 * They replace an FTS5 table: FTS5's inserts were a third of the cold index's
 * serial write chain, and its index 430 B a chunk on disk, where these are
 * about 200 (bench/speed/NOTES.md). The terms are FTS5's own (`ftsTerms.ts`) and
 * the scores its `bm25()` (`lexicalIndex.ts`), so results did not move.
 *
 * Layout (little-endian): a 40-byte header (magic, row, removed and term counts,
 * then the offsets of the row, removed, string and postings regions and the end,
 * and the highest row id);
 * a term table of (string start, postings start) pairs, one more as the end, for
 * binary search without decoding; rows as varint (id delta, token count) pairs in
 * id order; removed ids as varint deltas; the terms' bytes in sorted order; and per
 * term a varint count, then (row delta, frequency × 2) varint pairs in row order.
 * Frequencies are sums of the column weights (4, 1.5, 2, 1), so twice each is an integer.
 *
 * Pure: the store reads and writes the bytes.
 */
import type { RowTerms } from './lexicalRows.js';
import { withRoom } from './typedArrays.js';

const MAGIC = 0x31504743; // 'CGP1'
const HEADER_BYTES = 40;

/** One segment's content, term by term: what `encodeSegment` writes. */
export interface SegmentContent {
  /** Rows added, ascending by id, each once. */
  readonly rows: readonly { readonly id: number; readonly tokens: number }[];
  /** Ids removed before the rows are added, ascending, each once. */
  readonly removed: readonly number[];
  /** Terms in byte order; term t's postings are at `offsets[t]` … `offsets[t + 1]`, rows ascending. */
  readonly terms: readonly string[];
  readonly offsets: Int32Array;
  readonly postingRows: Int32Array;
  /** Twice each posting's weighted frequency. */
  readonly postingDoubled: Uint32Array;
}

/** A segment's content from whole rows (a write's new chunks) and the ids it removes. */
export function segmentOfRows(rows: readonly { readonly id: number; readonly row: RowTerms }[], removed: readonly number[]): SegmentContent {
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  const collector = new PostingCollector();
  // The rows of one file share a dictionary: each of its terms is looked up once.
  const termIdsOf = new Map<readonly string[], Int32Array>();
  for (const { id, row } of sorted) {
    let termIds = termIdsOf.get(row.dictionary);
    if (!termIds) termIdsOf.set(row.dictionary, (termIds = Int32Array.from(row.dictionary, (term) => collector.termId(term))));
    for (let at = 0; at < row.indexes.length; at++) collector.add(termIds[row.indexes[at]!]!, id, row.doubled[at]!);
  }
  return { rows: sorted.map(({ id, row }) => ({ id, tokens: row.tokens })), removed: [...new Set(removed)].sort((a, b) => a - b), ...collector.finish() };
}

/** Encodes one segment. */
export function encodeSegment(content: SegmentContent): Buffer {
  const { terms, offsets, postingRows, postingDoubled } = content;
  const rows = new VarintWriter();
  let previous = 0;
  for (const { id, tokens } of content.rows) {
    rows.write(id - previous);
    rows.write(tokens);
    previous = id;
  }
  const removed = new VarintWriter();
  previous = 0;
  for (const id of content.removed) {
    removed.write(id - previous);
    previous = id;
  }
  const strings = Buffer.from(terms.join(''), 'latin1');
  const postings = new VarintWriter();
  const table = Buffer.alloc((terms.length + 1) * 8);
  let stringAt = 0;
  terms.forEach((term, index) => {
    table.writeUInt32LE(stringAt, index * 8);
    table.writeUInt32LE(postings.length, index * 8 + 4);
    stringAt += term.length;
    const start = offsets[index]!;
    const end = offsets[index + 1]!;
    postings.write(end - start);
    let row = 0;
    for (let at = start; at < end; at++) {
      const doubled = postingDoubled[at]!;
      if (!(doubled > 0)) throw new RangeError(`A lexical frequency must be positive; got ${doubled / 2} for ${term}`);
      postings.write(postingRows[at]! - row);
      postings.write(doubled);
      row = postingRows[at]!;
    }
  });
  table.writeUInt32LE(stringAt, terms.length * 8);
  table.writeUInt32LE(postings.length, terms.length * 8 + 4);
  const rowsOffset = HEADER_BYTES + table.length;
  const removedOffset = rowsOffset + rows.length;
  const stringsOffset = removedOffset + removed.length;
  const postingsOffset = stringsOffset + strings.length;
  const end = postingsOffset + postings.length;
  const header = Buffer.alloc(HEADER_BYTES);
  const highestRow = content.rows.length > 0 ? content.rows[content.rows.length - 1]!.id : 0;
  [MAGIC, content.rows.length, content.removed.length, terms.length, rowsOffset, removedOffset, stringsOffset, postingsOffset, end, highestRow].forEach((value, at) => header.writeUInt32LE(value, at * 4));
  return Buffer.concat([header, table, rows.bytes(), removed.bytes(), strings, postings.bytes()], end);
}

/**
 * Postings gathered as (term id, row, doubled frequency) in growing typed arrays, then put in term
 * order by one counting sort: no array or map per term, so a batch of 500k postings costs little
 * of the coordinator's time and garbage.
 */
class PostingCollector {
  private readonly termIds = new Map<string, number>();
  private readonly names: string[] = [];
  private termOf = new Int32Array(1 << 14);
  private rowOf = new Int32Array(1 << 14);
  private doubledOf = new Uint32Array(1 << 14);
  private count = 0;

  termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      this.termIds.set(term, (id = this.names.length));
      this.names.push(term);
    }
    return id;
  }

  add(term: number, row: number, doubled: number): void {
    if (this.count === this.termOf.length) {
      this.termOf = withRoom(this.termOf, this.count + 1);
      this.rowOf = withRoom(this.rowOf, this.count + 1);
      this.doubledOf = withRoom(this.doubledOf, this.count + 1);
    }
    this.termOf[this.count] = term;
    this.rowOf[this.count] = row;
    this.doubledOf[this.count++] = doubled;
  }

  finish(): Pick<SegmentContent, 'terms' | 'offsets' | 'postingRows' | 'postingDoubled'> {
    const names = this.names;
    const order = names.map((_, id) => id).sort((a, b) => compareAscii(names[a]!, names[b]!));
    const rank = new Int32Array(names.length);
    order.forEach((id, position) => (rank[id] = position));
    const offsets = new Int32Array(names.length + 1);
    for (let at = 0; at < this.count; at++) offsets[rank[this.termOf[at]!]! + 1]!++;
    for (let term = 0; term < names.length; term++) offsets[term + 1]! += offsets[term]!;
    const fill = offsets.slice(0, names.length);
    const postingRows = new Int32Array(this.count);
    const postingDoubled = new Uint32Array(this.count);
    for (let at = 0; at < this.count; at++) {
      const slot = fill[rank[this.termOf[at]!]!]!++;
      postingRows[slot] = this.rowOf[at]!;
      postingDoubled[slot] = this.doubledOf[at]!;
    }
    for (let term = 0; term < names.length; term++) sortPostings(postingRows, postingDoubled, offsets[term]!, offsets[term + 1]!);
    return { terms: order.map((id) => names[id]!), offsets, postingRows, postingDoubled };
  }
}

/** Read access to one encoded segment, without decoding more than what is asked. */
export class PostingSegment {
  readonly rowCount: number;
  readonly removedCount: number;
  readonly termCount: number;
  /** The highest id of the rows it adds (0 when none). */
  readonly highestRow: number;
  private readonly rowsOffset: number;
  private readonly removedOffset: number;
  private readonly stringsOffset: number;
  private readonly postingsOffset: number;

  /** @throws RangeError when the bytes are not a segment (the store reports that as a corrupt cache). */
  constructor(private readonly bytes: Buffer) {
    const corrupt = (why: string) => new RangeError(`lexical segment: ${why}`);
    if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC) throw corrupt('not a posting segment');
    const field = (at: number) => bytes.readUInt32LE(at * 4);
    this.rowCount = field(1);
    this.removedCount = field(2);
    this.termCount = field(3);
    this.rowsOffset = field(4);
    this.removedOffset = field(5);
    this.stringsOffset = field(6);
    this.postingsOffset = field(7);
    this.highestRow = field(9);
    const ordered = HEADER_BYTES + (this.termCount + 1) * 8 === this.rowsOffset && this.rowsOffset <= this.removedOffset && this.removedOffset <= this.stringsOffset && this.stringsOffset <= this.postingsOffset && this.postingsOffset <= field(8);
    if (!ordered || field(8) !== bytes.length) throw corrupt('regions out of bounds');
  }

  /** Calls `onRow` with each added row's id and token count, ascending by id. */
  eachRow(onRow: (id: number, tokens: number) => void): void {
    const reader = new VarintReader(this.bytes, this.rowsOffset, this.removedOffset);
    let id = 0;
    for (let row = 0; row < this.rowCount; row++) {
      id += reader.next();
      onRow(id, reader.next());
    }
  }

  /** Calls `onId` with each removed id, ascending. */
  eachRemoved(onId: (id: number) => void): void {
    const reader = new VarintReader(this.bytes, this.removedOffset, this.stringsOffset);
    let id = 0;
    for (let at = 0; at < this.removedCount; at++) onId((id += reader.next()));
  }

  /** The term at `index` of the sorted term table. */
  termAt(index: number): string {
    return this.bytes.toString('latin1', this.stringsOffset + this.tableEntry(index, 0), this.stringsOffset + this.tableEntry(index + 1, 0));
  }

  /** The index of `term` in the term table, or -1. */
  findTerm(term: string): number {
    let low = 0;
    let high = this.termCount - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = this.compareAt(middle, term);
      if (order === 0) return middle;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** Calls `onPosting` with each row holding term `index` and its weighted frequency, ascending by row. */
  eachPosting(index: number, onPosting: (row: number, frequency: number) => void): void {
    const reader = new VarintReader(this.bytes, this.postingsOffset + this.tableEntry(index, 1), this.postingsOffset + this.tableEntry(index + 1, 1));
    const count = reader.next();
    let row = 0;
    for (let at = 0; at < count; at++) {
      row += reader.next();
      onPosting(row, reader.next() / 2);
    }
  }

  /** The term table's `field` (0: string start, 1: postings start) of entry `index`. */
  private tableEntry(index: number, field: 0 | 1): number {
    return this.bytes.readUInt32LE(HEADER_BYTES + index * 8 + field * 4);
  }

  /** The stored term `index` against `term`, as `compareAscii` orders them. */
  private compareAt(index: number, term: string): number {
    const start = this.stringsOffset + this.tableEntry(index, 0);
    const end = this.stringsOffset + this.tableEntry(index + 1, 0);
    const length = Math.min(end - start, term.length);
    for (let at = 0; at < length; at++) {
      const difference = this.bytes[start + at]! - term.charCodeAt(at);
      if (difference !== 0) return difference;
    }
    return end - start - term.length;
  }
}

/**
 * Which segment holds each live row: segments applied in order, each removing its
 * removed ids, then adding its rows (a later add of an id replaces an earlier one).
 * Immutable: `extended` makes the rows after more segments, for a store that keeps
 * the ones it read and reads only those written since.
 */
export class LiveRows {
  private idList: number[] | null = null;

  private constructor(
    /** Per chunk id: the index of the segment whose row is live, or -1. */
    readonly owner: Int32Array,
    /** Per chunk id: the live row's token count. */
    readonly tokens: Int32Array,
    /** Live rows. */
    readonly count: number,
    readonly totalTokens: number,
  ) {}

  static of(segments: readonly PostingSegment[]): LiveRows {
    return new LiveRows(new Int32Array(0), new Int32Array(0), 0, 0).extended(segments, 0);
  }

  /** The live rows once `segments`, whose first is segment number `firstIndex`, are applied after these. */
  extended(segments: readonly PostingSegment[], firstIndex: number): LiveRows {
    let highest = this.owner.length - 1;
    for (const segment of segments) highest = Math.max(highest, segment.highestRow);
    const owner = new Int32Array(highest + 1).fill(-1);
    owner.set(this.owner);
    const tokens = new Int32Array(highest + 1);
    tokens.set(this.tokens);
    let count = this.count;
    let totalTokens = this.totalTokens;
    const drop = (id: number) => {
      if (owner[id]! < 0) return;
      owner[id] = -1;
      count--;
      totalTokens -= tokens[id]!;
      tokens[id] = 0;
    };
    segments.forEach((segment, at) => {
      segment.eachRemoved((id) => {
        if (id <= highest) drop(id);
      });
      segment.eachRow((id, rowTokens) => {
        if (id > highest) throw new RangeError('lexical segment: a row above its highest id');
        drop(id);
        owner[id] = firstIndex + at;
        tokens[id] = rowTokens;
        count++;
        totalTokens += rowTokens;
      });
    });
    return new LiveRows(owner, tokens, count, totalTokens);
  }

  /** Live ids, ascending. */
  get ids(): number[] {
    if (this.idList) return this.idList;
    const ids: number[] = [];
    for (let id = 0; id < this.owner.length; id++) if (this.owner[id]! >= 0) ids.push(id);
    return (this.idList = ids);
  }
}

/**
 * One segment saying what the run of `segments` says: the rows live at its end,
 * and (unless the run starts at the first segment, `fromStart`) every id it removes,
 * since those may be rows of earlier segments.
 */
export function mergeSegments(segments: readonly PostingSegment[], fromStart: boolean): SegmentContent {
  const live = LiveRows.of(segments);
  const removed = new Set<number>();
  if (!fromStart) for (const segment of segments) segment.eachRemoved((id) => removed.add(id));
  const collector = new PostingCollector();
  segments.forEach((segment, index) => {
    for (let term = 0; term < segment.termCount; term++) {
      const id = collector.termId(segment.termAt(term));
      segment.eachPosting(term, (row, frequency) => {
        if (live.owner[row] === index) collector.add(id, row, frequency * 2);
      });
    }
  });
  return { rows: live.ids.map((id) => ({ id, tokens: live.tokens[id]! })), removed: [...removed].sort((a, b) => a - b), ...collector.finish() };
}

/**
 * A small segment holds fewer entries (rows and removed ids) than this: an editor's writes, one file
 * each. Once `SMALL_RUN` of them trail they are merged into one, which costs what they hold, so a
 * session's edits leave one segment per few thousand rows written. A cold index's batches (thousands
 * of rows each) are never merged for their number: a search pays a binary search per segment and
 * term for them, microseconds, while merging them would put the whole index through the serial write
 * chain again.
 */
const SMALL_ENTRIES = 4096;
const SMALL_RUN = 16;
/** Removed ids past this share of the live rows (and past `REMOVED_MIN`) are dropped by merging everything. */
const REMOVED_SHARE = 1 / 4;
const REMOVED_MIN = 4096;

/**
 * Where to start merging the segments through the last (an index into `segments`, in order), or
 * null when they are fine as they are: at 0 once the removed ids outweigh the live rows' quarter
 * (their dead postings are still read by every search), else at the start of a trailing run of
 * `SMALL_RUN` or more small segments.
 */
/** Whether a merge of a trailing run may take this segment in (`compactionStart`): an editor's write, not a cold index's batch. */
export function isSmallSegment(segment: { readonly rowCount: number; readonly removedCount: number }): boolean {
  return segment.rowCount + segment.removedCount < SMALL_ENTRIES;
}

export function compactionStart(segments: readonly { readonly rows: number; readonly removed: number }[]): number | null {
  if (segments.length < 2) return null;
  let entries = 0;
  let removed = 0;
  for (const segment of segments) {
    entries += segment.rows + segment.removed;
    removed += segment.removed;
  }
  const liveRows = entries - 2 * removed;
  if (removed > REMOVED_MIN && removed > liveRows * REMOVED_SHARE) return 0;
  let start = segments.length;
  while (start > 0 && isSmallSegment({ rowCount: segments[start - 1]!.rows, removedCount: segments[start - 1]!.removed })) start--;
  return segments.length - start >= SMALL_RUN ? start : null;
}

/** Rows of one term gathered from several segments may interleave: sort that term's slice by row (rarely needed). */
function sortPostings(rows: Int32Array, doubled: Uint32Array, start: number, end: number): void {
  let ascending = true;
  for (let at = start + 1; at < end && ascending; at++) ascending = rows[at - 1]! < rows[at]!;
  if (ascending) return;
  const pairs = Array.from({ length: end - start }, (_, at) => [rows[start + at]!, doubled[start + at]!] as const).sort((a, b) => a[0] - b[0]);
  pairs.forEach(([row, frequency], at) => {
    rows[start + at] = row;
    doubled[start + at] = frequency;
  });
}

/** Byte order of ASCII strings, as the term table is sorted. */
function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Unsigned LEB128 into a growing buffer. */
class VarintWriter {
  private buffer = Buffer.allocUnsafe(1024);
  length = 0;

  write(value: number): void {
    if (this.length + 10 > this.buffer.length) {
      const next = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(next, 0, 0, this.length);
      this.buffer = next;
    }
    while (value >= 0x80) {
      this.buffer[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

class VarintReader {
  constructor(private readonly bytes: Buffer, private at: number, private readonly end: number) {}

  next(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.end) throw new RangeError('lexical segment: a varint runs past its region');
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }
}
