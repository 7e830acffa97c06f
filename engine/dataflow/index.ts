export { extractDataFlow } from './extract.js';
export type { CodeToken, DataFlowEdge, DataFlowGraph, DataFlowNode, DataFlowRelation } from './graph.js';
export { batchGraphCodeBertInputs, buildGraphCodeBertInputs, buildTokenOnlyInputs, FIRST_CODE_POSITION, NODE_POSITION, PAD_POSITION, type GraphCodeBertBatch, type GraphCodeBertInput, type SpecialTokenIds } from './inputs.js';
export { GraphCodeBertEncoder, readModelInputConfig, type DataFlowInputConfig, type GraphCodeBertEncoderOptions, type ModelInputFormat } from './encoder.js';
export { DATA_FLOW_LANGUAGES } from './rules.js';
export type { DataFlowSyntaxNode } from './syntax.js';
export { codeTokens, subwordTokens, type SubwordTokens } from './tokens.js';
export { checkGraphCodeBertSignature, graphCodeBertFeeds, probeGraphCodeBertInput } from './feeds.js';
