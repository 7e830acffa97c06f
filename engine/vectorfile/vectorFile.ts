/**
 * The dense index's rows in a file of their own beside the SQLite cache, so
 * that a process starts with a few large reads instead of streaming every
 * (chunk, vector) row out of SQLite and re-encoding it (about 3.3 µs a row:
 * over a second at 250k chunks).
 *
 * SQLite stays the source of truth. The file is a cache of it, valid only
 * for the exact store state it was written from: the store keeps a random
 * generation token in `meta`, replaced in the same transaction as every write
 * that changes chunks or vectors, and the file's header repeats the token it
 * was made from. The file is written to a temporary name, fsync'd and renamed
 * over the old one, so after a kill -9 at any moment there is the old file,
 * the new one, or none, and a file whose token, model, settings, sizes or
 * checksums disagree is rebuilt from SQLite. Nothing is lost either way.
 *
 * Layout (little endian): a header of `headerBytes`
 *   magic "CGVF", format version u32, header bytes u32, rows u32,
 *   model dimension u32, stored dimension u32, bytes per row u32,
 *   bytes per sign row u32 (0: no prefilter rows), body CRC-32 u32, header CRC-32 u32,
 *   then four length-prefixed UTF-8 strings (u32 length): precision, model id,
 *   generation token, projection fingerprint; zero padding to 8 bytes;
 * then the body: chunk ids (i32 × rows), file ids (i32 × rows), encoded rows,
 * sign rows. Rows are in ascending chunk id order (an index sorts them so when it
 * exports them; the store streams them so for a file written from its rows), so
 * every file of one store state holds the same bytes.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { capacityWithRoom } from '../vectors/codedMatrix.js';

export const VECTOR_FILE = 'index.vectors';
const MAGIC = 0x46564743; // "CGVF" read as a little-endian u32
export const VECTOR_FILE_FORMAT = 1;
const FIXED_HEADER = 40;

/** What the file must match to be used: the store state and the index settings. */
export interface VectorFileIdentity {
  readonly modelId: string;
  /** The model's output dimension. */
  readonly dimension: number;
  /** Dimensions of the encoded rows (after an optional projection). */
  readonly storedDimension: number;
  readonly precision: string;
  /** The store's generation token the rows were read from. */
  readonly generation: string;
  /** Identifies the projection applied before encoding; '' for none. */
  readonly projection: string;
  readonly bytesPerRow: number;
  /** 0 when the index keeps no sign rows. */
  readonly bytesPerSignRow: number;
}

/** The rows of a dense index, as it holds them. */
export interface VectorRows {
  readonly count: number;
  readonly chunkIds: Int32Array;
  readonly fileIds: Int32Array;
  /** `count × bytesPerRow` bytes at offset 0 of their own buffer (the matrix scans from there). */
  readonly rows: Uint8Array;
  readonly signs: Uint8Array | null;
}

export type VectorFileRead = { readonly ok: true; readonly rows: VectorRows } | { readonly ok: false; readonly reason: 'missing' | 'stale' | 'damaged'; readonly detail: string };

interface Header {
  readonly format: number;
  readonly headerBytes: number;
  readonly count: number;
  readonly dimension: number;
  readonly storedDimension: number;
  readonly bytesPerRow: number;
  readonly bytesPerSignRow: number;
  readonly bodyCrc: number;
  readonly precision: string;
  readonly modelId: string;
  readonly generation: string;
  readonly projection: string;
}

/** The header bytes for `identity` and `count` rows whose body has CRC-32 `bodyCrc`. */
export function encodeHeader(identity: VectorFileIdentity, count: number, bodyCrc: number): Buffer {
  const strings = [identity.precision, identity.modelId, identity.generation, identity.projection].map((text) => Buffer.from(text, 'utf8'));
  const length = FIXED_HEADER + strings.reduce((sum, bytes) => sum + 4 + bytes.length, 0);
  const header = Buffer.alloc((length + 7) & ~7);
  const fields = [MAGIC, VECTOR_FILE_FORMAT, header.length, count, identity.dimension, identity.storedDimension, identity.bytesPerRow, identity.bytesPerSignRow, bodyCrc >>> 0, 0];
  fields.forEach((value, index) => header.writeUInt32LE(value, index * 4));
  let offset = FIXED_HEADER;
  for (const bytes of strings) {
    header.writeUInt32LE(bytes.length, offset);
    bytes.copy(header, offset + 4);
    offset += 4 + bytes.length;
  }
  header.writeUInt32LE(crc32(header) >>> 0, 36);
  return header;
}

/** Parses a header; a string saying what is wrong when it is not one this version wrote. */
export function decodeHeader(bytes: Buffer): Header | string {
  if (bytes.length < FIXED_HEADER) return `${bytes.length} bytes, shorter than a header`;
  if (bytes.readUInt32LE(0) !== MAGIC) return 'not a vector file (bad magic)';
  const format = bytes.readUInt32LE(4);
  if (format !== VECTOR_FILE_FORMAT) return `format ${format}, this version reads ${VECTOR_FILE_FORMAT}`;
  const headerBytes = bytes.readUInt32LE(8);
  if (headerBytes < FIXED_HEADER || headerBytes > bytes.length) return `header of ${headerBytes} bytes in a file of ${bytes.length}`;
  const header = Buffer.from(bytes.subarray(0, headerBytes));
  const expected = header.readUInt32LE(36);
  header.writeUInt32LE(0, 36);
  if ((crc32(header) >>> 0) !== expected) return 'header checksum mismatch';
  const strings: string[] = [];
  let offset = FIXED_HEADER;
  for (let i = 0; i < 4; i++) {
    if (offset + 4 > headerBytes) return 'header strings cut off';
    const length = header.readUInt32LE(offset);
    if (offset + 4 + length > headerBytes) return 'header strings cut off';
    strings.push(header.toString('utf8', offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  const field = (index: number) => header.readUInt32LE(index * 4);
  return {
    format,
    headerBytes,
    count: field(3),
    dimension: field(4),
    storedDimension: field(5),
    bytesPerRow: field(6),
    bytesPerSignRow: field(7),
    bodyCrc: field(8),
    precision: strings[0]!,
    modelId: strings[1]!,
    generation: strings[2]!,
    projection: strings[3]!,
  };
}

/** Bytes of the body after the header. */
export function bodyBytes(count: number, bytesPerRow: number, bytesPerSignRow: number): number {
  return count * (8 + bytesPerRow + bytesPerSignRow);
}

/** Which identity field differs, for the log; null when the header matches. */
function mismatch(header: Header, identity: VectorFileIdentity): string | null {
  if (header.generation !== identity.generation) return 'it was written before the cache last changed';
  if (header.modelId !== identity.modelId) return `it holds vectors of model ${header.modelId}`;
  if (header.precision !== identity.precision) return `it holds ${header.precision} rows, the index is ${identity.precision}`;
  if (header.projection !== identity.projection) return 'it was written with another PCA projection';
  if (header.dimension !== identity.dimension || header.storedDimension !== identity.storedDimension) return `it holds ${header.storedDimension} of ${header.dimension} dimensions`;
  if (header.bytesPerRow !== identity.bytesPerRow || header.bytesPerSignRow !== identity.bytesPerSignRow) return 'its row layout differs';
  return null;
}

/**
 * The file's bytes read ahead, on the I/O threads, while the process does
 * other work (loading the model): `readVectorFile` takes them when the file
 * is still the one read, and checks them as if it had read them itself.
 */
export interface PrefetchedVectorFile {
  readonly stats: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;
  readonly header: Buffer;
  readonly parts: readonly Uint8Array[];
}

/** Reads the whole file ahead (see `PrefetchedVectorFile`); null when it is absent or not readable as one. */
export async function prefetchVectorFile(path: string): Promise<PrefetchedVectorFile | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    const prefix = Buffer.alloc(Math.min(stats.size, 4096));
    await handle.read(prefix, 0, prefix.length, 0);
    const header = decodeHeader(prefix);
    if (typeof header === 'string' || header.headerBytes + bodyBytes(header.count, header.bytesPerRow, header.bytesPerSignRow) !== stats.size) return null;
    const parts = bodyParts(header.count, header.bytesPerRow, header.bytesPerSignRow);
    let position = header.headerBytes;
    const reads: Promise<unknown>[] = [];
    for (const part of parts) {
      // Slices of 8 MiB, so the reads spread over the I/O threads.
      for (let start = 0; start < part.byteLength; start += 8 << 20) {
        const length = Math.min(8 << 20, part.byteLength - start);
        reads.push(readFullyAsync(handle, part, start, length, position + start));
      }
      position += part.byteLength;
    }
    await Promise.all(reads);
    return { stats: { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs }, header: prefix.subarray(0, header.headerBytes), parts };
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readFullyAsync(handle: import('node:fs/promises').FileHandle, target: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(target, offset + done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * Typed arrays for a body: chunk ids, file ids, rows, and sign rows when there are any. The rows
 * are read into buffers with room for more (`capacityWithRoom`), which the loaded index grows into.
 */
function bodyParts(count: number, bytesPerRow: number, bytesPerSignRow: number): Uint8Array[] {
  const capacity = capacityWithRoom(count);
  const rows = (bytes: number) => new Uint8Array(new ArrayBuffer(capacity * bytes), 0, count * bytes);
  const parts = [new Uint8Array(new Int32Array(count).buffer), new Uint8Array(new Int32Array(count).buffer), rows(bytesPerRow)];
  if (bytesPerSignRow > 0) parts.push(rows(bytesPerSignRow));
  return parts;
}

/**
 * Reads the rows of the file at `path` when it matches `identity` in full
 * (header, sizes and both checksums); otherwise says why not, reading no
 * more than the header when it is stale. `prefetched` bytes are used when
 * they were read from the same file as is there now.
 */
export function readVectorFile(path: string, identity: VectorFileIdentity, prefetched?: PrefetchedVectorFile | null): VectorFileRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'missing', detail: 'there is none yet' };
    return { ok: false, reason: 'damaged', detail: `it cannot be read (${code ?? (error as Error).message})` };
  }
  try {
    const stats = fstatSync(fd);
    const size = stats.size;
    const ahead = prefetched && prefetched.stats.dev === stats.dev && prefetched.stats.ino === stats.ino && prefetched.stats.size === size && prefetched.stats.mtimeMs === stats.mtimeMs ? prefetched : null;
    const prefix = ahead ? ahead.header : Buffer.alloc(Math.min(size, 4096));
    if (!ahead) readFully(fd, prefix, 0);
    let header = decodeHeader(prefix);
    if (typeof header === 'string' && prefix.length >= 12 && prefix.readUInt32LE(8) > prefix.length && prefix.readUInt32LE(8) <= Math.min(size, 1 << 20)) {
      // A header longer than the first read (a very long model id): read all of it.
      const whole = Buffer.alloc(prefix.readUInt32LE(8));
      readFully(fd, whole, 0);
      header = decodeHeader(whole);
    }
    if (typeof header === 'string') return { ok: false, reason: 'damaged', detail: header };
    const different = mismatch(header, identity);
    if (different) return { ok: false, reason: 'stale', detail: different };
    const expected = header.headerBytes + bodyBytes(header.count, header.bytesPerRow, header.bytesPerSignRow);
    if (size !== expected) return { ok: false, reason: 'damaged', detail: `it holds ${size} bytes, its header says ${expected} (cut off?)` };
    const count = header.count;
    const parts = ahead ? ahead.parts : bodyParts(count, header.bytesPerRow, header.bytesPerSignRow);
    let position = header.headerBytes;
    let crc = 0;
    for (const part of parts) {
      if (!ahead) readFully(fd, part, position);
      crc = crc32(part, crc);
      position += part.byteLength;
    }
    if ((crc >>> 0) !== header.bodyCrc) return { ok: false, reason: 'damaged', detail: 'body checksum mismatch' };
    const [chunkIds, fileIds, rows, signs] = parts;
    return { ok: true, rows: { count, chunkIds: new Int32Array(chunkIds!.buffer), fileIds: new Int32Array(fileIds!.buffer), rows: rows!, signs: signs ?? null } };
  } catch (error) {
    return { ok: false, reason: 'damaged', detail: `reading it failed (${(error as Error).message})` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `rows` for `identity` to `path` atomically: a temporary file in the
 * same folder, fsync'd, then renamed over `path`. Leftover temporary files of
 * processes that no longer run (killed mid-write) are removed first.
 */
export function writeVectorFile(path: string, identity: VectorFileIdentity, rows: VectorRows): void {
  removeLeftovers(path);
  const parts = bodyOf(identity, rows);
  let crc = 0;
  for (const part of parts) crc = crc32(part, crc);
  const header = encodeHeader(identity, rows.count, crc);
  const temporary = temporaryPath(path);
  const fd = openSync(temporary, 'w');
  try {
    let position = 0;
    for (const part of [header, ...parts]) {
      writeFully(fd, part, position);
      position += part.byteLength;
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  // The rename itself reaches the disk with the folder's next flush; until then the old
  // file (or none) is what a crash leaves, and either is rebuilt: no fsync of the folder is needed.
}

/**
 * `writeVectorFile` on the I/O threads: the same temporary file, fsync and
 * rename, with the checksum computed 8 MiB at a time between writes, so the
 * event loop is never held for more than a few milliseconds. `rows` must not
 * change until the promise settles (the caller passes a copy of a live index).
 */
export async function writeVectorFileAsync(path: string, identity: VectorFileIdentity, rows: VectorRows): Promise<void> {
  removeLeftovers(path);
  const parts = bodyOf(identity, rows);
  // The header's length does not depend on the checksum: the body goes first, the header last.
  const headerBytes = encodeHeader(identity, rows.count, 0).length;
  const temporary = temporaryPath(path);
  const handle = await open(temporary, 'w');
  try {
    let crc = 0;
    let position = headerBytes;
    for (const part of parts) {
      for (let start = 0; start < part.byteLength; start += 8 << 20) {
        const slice = part.subarray(start, Math.min(part.byteLength, start + (8 << 20)));
        crc = crc32(slice, crc);
        await writeFullyAsync(handle, slice, position);
        position += slice.byteLength;
      }
    }
    await writeFullyAsync(handle, encodeHeader(identity, rows.count, crc), 0);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes a vector file from blocks of rows in ascending chunk id order, as they
 * are read, holding only the ids (8 bytes a row) in memory: the rows and sign
 * rows go to two temporary files first, and are copied after the ids into the
 * file's temporary name when the count is known; then fsync and rename as
 * `writeVectorFile`. Every temporary file carries the process id, so what a
 * killed process leaves is removed by the next save.
 */
export class VectorFileBuilder {
  private readonly rowsFile: { path: string; fd: number; bytes: number };
  private readonly signsFile: { path: string; fd: number; bytes: number } | null;
  private chunkIds = new Int32Array(4096);
  private fileIds = new Int32Array(4096);
  private count = 0;

  constructor(
    private readonly path: string,
    private readonly identity: VectorFileIdentity,
  ) {
    removeLeftovers(path);
    this.rowsFile = { path: temporaryPath(path), fd: -1, bytes: 0 };
    this.rowsFile.fd = openSync(this.rowsFile.path, 'w+');
    this.signsFile = identity.bytesPerSignRow > 0 ? { path: temporaryPath(path), fd: -1, bytes: 0 } : null;
    if (this.signsFile) this.signsFile.fd = openSync(this.signsFile.path, 'w+');
  }

  /** Adds the next rows; their chunk ids must all be above those added before. */
  append(block: VectorRows): void {
    if (block.count === 0) return;
    if (this.count > 0 && block.chunkIds[0]! <= this.chunkIds[this.count - 1]!) throw new Error(`chunk ${block.chunkIds[0]} after chunk ${this.chunkIds[this.count - 1]}: rows must come in ascending chunk id order`);
    if (this.count + block.count > this.chunkIds.length) {
      const capacity = Math.max(this.count + block.count, this.chunkIds.length * 2);
      const chunkIds = new Int32Array(capacity);
      chunkIds.set(this.chunkIds.subarray(0, this.count));
      const fileIds = new Int32Array(capacity);
      fileIds.set(this.fileIds.subarray(0, this.count));
      this.chunkIds = chunkIds;
      this.fileIds = fileIds;
    }
    const [chunkIds, fileIds, rows, signs] = bodyOf(this.identity, block);
    this.chunkIds.set(new Int32Array(chunkIds!.buffer, chunkIds!.byteOffset, block.count), this.count);
    this.fileIds.set(new Int32Array(fileIds!.buffer, fileIds!.byteOffset, block.count), this.count);
    writeFully(this.rowsFile.fd, rows!, this.rowsFile.bytes);
    this.rowsFile.bytes += rows!.byteLength;
    if (this.signsFile) {
      writeFully(this.signsFile.fd, signs!, this.signsFile.bytes);
      this.signsFile.bytes += signs!.byteLength;
    }
    this.count += block.count;
  }

  /**
   * Assembles the file and renames it over `path`; returns the rows it holds. `generation`, when given,
   * replaces the identity's: a file streamed during an index run learns its store state at the end.
   */
  finish(generation?: string): number {
    const count = this.count;
    const identity = generation === undefined ? this.identity : { ...this.identity, generation };
    const ids = [new Uint8Array(this.chunkIds.buffer, 0, count * 4), new Uint8Array(this.fileIds.buffer, 0, count * 4)];
    const headerBytes = encodeHeader(identity, count, 0).length;
    const temporary = temporaryPath(this.path);
    const fd = openSync(temporary, 'w');
    try {
      let crc = 0;
      let position = headerBytes;
      for (const part of ids) {
        crc = crc32(part, crc);
        writeFully(fd, part, position);
        position += part.byteLength;
      }
      const slice = Buffer.alloc(8 << 20);
      for (const source of [this.rowsFile, this.signsFile]) {
        if (!source) continue;
        for (let start = 0; start < source.bytes; start += slice.length) {
          const piece = slice.subarray(0, Math.min(slice.length, source.bytes - start));
          readFully(source.fd, piece, start);
          crc = crc32(piece, crc);
          writeFully(fd, piece, position);
          position += piece.byteLength;
        }
      }
      writeFully(fd, encodeHeader(identity, count, crc), 0);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      this.abort();
      throw error;
    }
    closeSync(fd);
    this.abort();
    try {
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    return count;
  }

  /** Removes the temporary files (after `finish`, or instead of it). */
  abort(): void {
    for (const file of [this.rowsFile, this.signsFile]) {
      if (!file || file.fd < 0) continue;
      closeSync(file.fd);
      file.fd = -1;
      rmSync(file.path, { force: true });
    }
  }
}

/** The body's parts in file order: chunk ids, file ids, rows, and sign rows when the layout has them. */
function bodyOf(identity: VectorFileIdentity, rows: VectorRows): Uint8Array[] {
  const parts = [new Uint8Array(rows.chunkIds.buffer, rows.chunkIds.byteOffset, rows.count * 4), new Uint8Array(rows.fileIds.buffer, rows.fileIds.byteOffset, rows.count * 4), rows.rows.subarray(0, rows.count * identity.bytesPerRow)];
  if (identity.bytesPerSignRow > 0) parts.push(rows.signs!.subarray(0, rows.count * identity.bytesPerSignRow));
  return parts;
}

/** A name beside `path` that says which process writes it (`removeLeftovers` keeps those of running ones). */
function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

async function writeFullyAsync(handle: import('node:fs/promises').FileHandle, source: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < source.byteLength) done += (await handle.write(source, done, source.byteLength - done, position + done)).bytesWritten;
}

/** The generation token in the file's header; null when there is no readable header. */
export function vectorFileGeneration(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const prefix = Buffer.alloc(4096);
    const read = readSync(fd, prefix, 0, prefix.length, 0);
    const header = decodeHeader(prefix.subarray(0, read));
    return typeof header === 'string' ? null : header.generation;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Removes the vector file and any temporary ones beside it (a cache moved aside or deleted). */
export function removeVectorFile(path: string): void {
  rmSync(path, { force: true });
  removeLeftovers(path, true);
}

function removeLeftovers(path: string, all = false): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!all && Number.isInteger(pid) && pid !== process.pid && isRunning(pid)) continue;
    if (!all && pid === process.pid) continue;
    rmSync(join(dirname(path), name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.byteLength) {
    const read = readSync(fd, target, done, target.byteLength - done, position + done);
    if (read === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += read;
  }
}

function writeFully(fd: number, source: Uint8Array, position: number): void {
  let done = 0;
  while (done < source.byteLength) done += writeSync(fd, source, done, source.byteLength - done, position + done);
}
