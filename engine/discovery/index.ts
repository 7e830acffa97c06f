export { decodeSourceText, type DecodedContent } from './content.js';
export { WorkspaceRules, type PathVerdict } from './rules.js';
export type { DiscoveredFile, DiscoveryOptions, DiscoveryResult, SkippedFile, SkipReason } from './types.js';
export { DEFAULT_DISCOVERY } from './types.js';
export { countSkipped, discoverFiles, specialKind } from './walk.js';
