export { generationAfter, loadDenseWithFile, saveDenseFile, vectorFileIdentity, type DenseFileLoad, type DenseFileOptions } from './denseFile.js';
export { prefetchVectorFile, readVectorFile, removeVectorFile, VECTOR_FILE, VECTOR_FILE_FORMAT, vectorFileGeneration, writeVectorFile, type PrefetchedVectorFile, type VectorFileIdentity, type VectorFileRead, type VectorRows } from './vectorFile.js';
