export { ChunkSummaryTable } from './chunkSummaryTable.js';
export { eachFtsTerm, ftsTerm, isSimpleToken } from './ftsTerms.js';
export { LexicalIndex, LexicalIndexBuilder, topRows, type LexicalHit } from './lexicalIndex.js';
export { LiveLexicalIndex, type LiveLexicalOptions } from './liveLexicalIndex.js';
