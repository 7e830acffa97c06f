export { paddingRatio, planBatches, type TokenBatch } from './batching.js';
export { DEFAULT_SIMILARITY_THRESHOLD, MANIFEST_FILE, readModelManifest, type ModelManifest, type PaddingSide, type Pooling, type PreprocessStep } from './manifest.js';
export { DEFAULT_EMBEDDER, Embedder, type Device, type EmbedderOptions } from './model.js';
export { isHfModelDir, isModelDirectory } from './hfLayout.js';
export { BUILT_IN_DOMAINS } from './onnxGraph.js';
export { preprocessText } from './preprocess.js';
export { TextTokenizer } from './tokenizer.js';
