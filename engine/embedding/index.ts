export { paddingRatio, planBatches, type TokenBatch } from './batching.js';
export { MANIFEST_FILE, readModelManifest, type ModelManifest, type Pooling, type PreprocessStep } from './manifest.js';
export { DEFAULT_EMBEDDER, Embedder, type Device, type EmbedderOptions } from './model.js';
export { preprocessText } from './preprocess.js';
export { TextTokenizer } from './tokenizer.js';
