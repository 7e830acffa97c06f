export { resolveConfig, type EngineConfig, type EngineConfigInput } from './config.js';
export { bundledModelsDir, defaultCacheDir, defaultGrammarsDir, defaultModelDir, packageRoot } from './paths.js';
