/**
 * Loading the dense index through the vector file: read it when it matches
 * the store, else build the index from the store's rows and save it again.
 */
import { emptyDenseIndex, fillDenseIndex, resolveDenseSettings, type DenseIndex, type DenseLoadOptions, type DenseSettings } from '../search/denseIndex.js';
import { readVectorFile, VectorFileBuilder, writeVectorFile, writeVectorFileAsync, type PrefetchedVectorFile, type VectorFileIdentity, type VectorRows } from './vectorFile.js';

export interface DenseFileLoad {
  readonly index: DenseIndex;
  readonly settings: DenseSettings;
  /** The store generation the index reflects; null when unknown (a write overlapped the load): never saved then. */
  readonly generation: string | null;
  /** Where the rows came from; `rebuilt` says why the file was not used. */
  readonly source: 'file' | 'store';
  readonly fileProblem: { readonly reason: 'missing' | 'stale' | 'damaged'; readonly detail: string } | null;
  /** Whether the file now matches `generation` (read from it, or written after the rebuild). */
  readonly saved: boolean;
}

export interface DenseFileOptions extends DenseLoadOptions {
  readonly path: string;
  /** Called when saving fails (a full or read-only disk): the index is usable all the same. */
  readonly onSaveError?: (error: Error) => void;
  /** The file read ahead (`prefetchVectorFile`), if it was. */
  readonly prefetched?: Promise<PrefetchedVectorFile | null> | null;
}

/** The identity a saved index must have to stand for `generation` under `settings`. */
export function vectorFileIdentity(modelId: string, settings: DenseSettings, generation: string): VectorFileIdentity {
  const layout = emptyDenseIndex(settings, 1).rowLayout;
  return {
    modelId,
    dimension: settings.dimension,
    storedDimension: settings.projection?.outputDimension ?? settings.dimension,
    precision: settings.precision,
    generation,
    projection: settings.projectionId,
    ...layout,
  };
}

/**
 * Loads the dense index of a model: from the vector file when it was written
 * at the store's current generation with the same settings and is intact,
 * otherwise from the store's rows, saving the file afterwards when no write
 * overlapped the read. A write of this process overlapping the load is seen
 * through `store.writeEpoch`; another process's through the generation token,
 * read before and after.
 */
export async function loadDenseWithFile(options: DenseFileOptions): Promise<DenseFileLoad> {
  const { store, modelId } = options;
  const settings = await resolveDenseSettings(options);
  const epoch = store.writeEpoch;
  const quiet = () => epoch % 2 === 0 && store.writeEpoch === epoch;
  const generation = await store.vectorGeneration();
  const identity = vectorFileIdentity(modelId, settings, generation);
  const read = readVectorFile(options.path, identity, await options.prefetched);
  if (read.ok && quiet()) {
    const index = emptyDenseIndex(settings);
    index.importRows(read.rows);
    return { index, settings, generation, source: 'file', fileProblem: null, saved: true };
  }
  const fileProblem = read.ok ? { reason: 'stale' as const, detail: 'the cache was being written meanwhile' } : { reason: read.reason, detail: read.detail };
  const index = await fillDenseIndex(settings, store, modelId);
  const known = quiet() && (await store.vectorGeneration()) === generation && quiet() ? generation : null;
  const saved = known !== null && saveDenseFile(options.path, modelId, index, settings, known, options.onSaveError);
  return { index, settings, generation: known, source: 'store', fileProblem, saved };
}

/**
 * The dense index from the vector file alone, as the copy of store generation `generation`: a state
 * the caller knows the store was in (the one before a batch it has just committed, which it then
 * applies). Null when the file is not that copy; the store's rows are never read.
 */
export async function loadDenseFromFile(options: DenseFileOptions, generation: string): Promise<DenseFileLoad | null> {
  const settings = await resolveDenseSettings(options);
  const read = readVectorFile(options.path, vectorFileIdentity(options.modelId, settings, generation), await options.prefetched);
  if (!read.ok) return null;
  const index = emptyDenseIndex(settings);
  index.importRows(read.rows);
  return { index, settings, generation, source: 'file', fileProblem: null, saved: true };
}

/** Rows encoded at a time when the file is written straight from the store. */
const BUILD_BLOCK_ROWS = 4096;

/**
 * Writes the vector file straight from the store's rows, without building the
 * index: each block of rows is encoded by a small index of the same settings
 * and appended (`VectorFileBuilder`), so memory stays at the ids and one block
 * however many vectors there are. Saved only when no write overlapped the read
 * (as `loadDenseWithFile`); returns the generation written, or null.
 */
export async function writeDenseFileFromStore(options: DenseFileOptions): Promise<{ generation: string; rows: number } | null> {
  const { store, modelId } = options;
  const settings = await resolveDenseSettings(options);
  const epoch = store.writeEpoch;
  const quiet = () => epoch % 2 === 0 && store.writeEpoch === epoch;
  const generation = await store.vectorGeneration();
  let builder: VectorFileBuilder;
  try {
    builder = new VectorFileBuilder(options.path, vectorFileIdentity(modelId, settings, generation));
  } catch (error) {
    options.onSaveError?.(error as Error);
    return null;
  }
  try {
    let block = emptyDenseIndex(settings, BUILD_BLOCK_ROWS);
    let failure: Error | null = null;
    const flush = () => {
      builder.append(block.exportRows());
      block = emptyDenseIndex(settings, BUILD_BLOCK_ROWS);
    };
    await store.eachChunkVector(modelId, (row) => {
      if (failure) return;
      try {
        block.add(row.id, row.fileId, row.vector);
        if (block.size >= BUILD_BLOCK_ROWS) flush();
      } catch (error) {
        failure = error as Error;
      }
    });
    if (failure) throw failure;
    flush();
    if (!(quiet() && (await store.vectorGeneration()) === generation && quiet())) {
      builder.abort();
      return null;
    }
    return { generation, rows: builder.finish() };
  } catch (error) {
    builder.abort();
    options.onSaveError?.(error as Error);
    return null;
  }
}

/** Writes the index to the vector file as the copy of store generation `generation`; false when the write failed. */
export function saveDenseFile(path: string, modelId: string, index: DenseIndex, settings: DenseSettings, generation: string, onError?: (error: Error) => void): boolean {
  try {
    writeVectorFile(path, vectorFileIdentity(modelId, settings, generation), index.exportRows());
    return true;
  } catch (error) {
    onError?.(error as Error);
    return false;
  }
}

/**
 * `saveDenseFile` without holding the event loop: the rows are copied before
 * this returns (they are the index's as of `generation`, whatever is applied
 * to it meanwhile), and written on the I/O threads. False when the write failed.
 */
export async function saveDenseFileAsync(path: string, modelId: string, index: DenseIndex, settings: DenseSettings, generation: string, onError?: (error: Error) => void): Promise<boolean> {
  try {
    // Before the first await: the copy is taken synchronously, while the index is still at `generation`.
    const rows = copyRows(index.exportRows());
    await writeVectorFileAsync(path, vectorFileIdentity(modelId, settings, generation), rows);
    return true;
  } catch (error) {
    onError?.(error as Error);
    return false;
  }
}

/** Rows in buffers of their own (`exportRows` may return views of the index's live matrices). */
function copyRows(rows: VectorRows): VectorRows {
  return { count: rows.count, chunkIds: rows.chunkIds.slice(0, rows.count), fileIds: rows.fileIds.slice(0, rows.count), rows: rows.rows.slice(), signs: rows.signs?.slice() ?? null };
}

