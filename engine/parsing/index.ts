export type { Chunk, ChunkedFile, ChunkingOptions, ChunkMetrics, FileAnalysis, FileDefinition } from './chunk.js';
export { DEFAULT_CHUNKING } from './chunk.js';
export type { ChunkKind, LanguageSpec } from './languages.js';
export { LANGUAGES, languageById, languageForPath, languagesMissingGrammar } from './languages.js';
export { chunkByLines } from './lineChunker.js';
export { CodeParser } from './parser.js';
export { chunkSyntaxTree } from './syntaxChunker.js';
