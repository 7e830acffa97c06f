export { chunkContentHash, fileContentHash, normalizeContent, sha256Hex } from './hash.js';
