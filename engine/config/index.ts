export { resolveConfig, type EngineConfig, type EngineConfigInput } from './config.js';
export { defaultCacheDir, defaultGrammarsDir, defaultModelDir, packageRoot } from './paths.js';
