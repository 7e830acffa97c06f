export { ChunkSummaryTable } from './chunkSummaryTable.js';
export { eachFtsTerm, ftsTerm, isSimpleToken } from './ftsTerms.js';
export { LexicalIndex, searchSegments, topRows, type LexicalHit } from './lexicalIndex.js';
export { chunkRowTerms, fileRowTerms, lexicalColumns, lexicalPathTokens, LEXICAL_COLUMN_WEIGHTS, LEXICAL_INDEX_FORMAT, rowTermEntries, type LexicalColumns, type LexicalSource, type RowTerms } from './lexicalRows.js';
export { LiveLexicalIndex, type LiveLexicalOptions } from './liveLexicalIndex.js';
export { encodeSegment, LiveRows, mergeSegments, PostingSegment, segmentOfRows, type SegmentContent } from './postingSegment.js';
