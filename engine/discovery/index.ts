export { decodeSourceText, readSourceFile, type DecodedContent, type SourceFile, type SourceFileSystem } from './content.js';
export { isIgnoreFilePath, WorkspaceRules, type PathVerdict } from './rules.js';
export type { DiscoveredFile, DiscoveryOptions, DiscoveryResult, SkippedFile, SkipReason } from './types.js';
export { DEFAULT_DISCOVERY } from './types.js';
export { checkPath, countSkipped, discoverFiles, printableName, specialKind, type PathCheck } from './walk.js';
