export { DenseIndex } from './denseIndex.js';
export { fuse, reciprocalRankFusion, RRF_K, scoreBlend, type FusionMethod, type RankedList } from './fusion.js';
export { parseQuery, symbolMatch, type ParsedQuery } from './query.js';
export { DEFAULT_SEARCH, diversify, isTestPath, Searcher, type SearchHit, type SearchMode, type SearchOptions, type SearchSources } from './searcher.js';
