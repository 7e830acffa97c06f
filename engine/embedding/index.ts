export { paddingRatio, planBatches, type TokenBatch } from './batching.js';
export { DEFAULT_SIMILARITY_THRESHOLD, MANIFEST_FILE, readModelManifest, type ModelManifest, type PaddingSide, type Pooling, type PreprocessStep } from './manifest.js';
export { adoptModelFiles, DEFAULT_EMBEDDER, Embedder, loadedModelFiles, type Device, type EmbedderOptions, type ModelFileFacts } from './model.js';
export { isHfModelDir, isModelDirectory } from './hfLayout.js';
export { BUILT_IN_DOMAINS } from './onnxGraph.js';
export { preprocessText } from './preprocess.js';
export { TextTokenizer } from './tokenizer.js';
