export { generationAfter, loadDenseWithFile, saveDenseFile, vectorFileIdentity, type DenseFileLoad, type DenseFileOptions } from './denseFile.js';
export { readVectorFile, removeVectorFile, VECTOR_FILE, VECTOR_FILE_FORMAT, writeVectorFile, type VectorFileIdentity, type VectorFileRead, type VectorRows } from './vectorFile.js';
