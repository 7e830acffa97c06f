export { loadDenseFromFile, loadDenseWithFile, saveDenseFile, saveDenseFileAsync, vectorFileIdentity, writeDenseFileFromStore, type DenseFileLoad, type DenseFileOptions } from './denseFile.js';
export { prefetchVectorFile, readVectorFile, removeVectorFile, VECTOR_FILE, VECTOR_FILE_FORMAT, vectorFileGeneration, writeVectorFile, type PrefetchedVectorFile, type VectorFileIdentity, type VectorFileRead, type VectorRows } from './vectorFile.js';
export { generationAfter } from '../store/generation.js';
export { VectorFileStream, type StreamedBatch } from './vectorFileStream.js';
