import type { DataFlowGraph } from './graph.js';
import type { SubwordTokens } from './tokens.js';

/** The tokenizer's ids for the tokens GraphCodeBERT's layout uses. */
export interface SpecialTokenIds {
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  /** Input id of a data-flow node; the model replaces its embedding anyway. */
  readonly unk: number;
}

/** Position ids of GraphCodeBERT's layout: data-flow nodes 0, padding 1, code from 2 (RoBERTa's padding_idx + 1). */
export const NODE_POSITION = 0;
export const PAD_POSITION = 1;
export const FIRST_CODE_POSITION = 2;

/** One sequence, unpadded: `[CLS] code [SEP] nodes`, with its `length × length` attention mask. */
export interface GraphCodeBertInput {
  readonly inputIds: readonly number[];
  readonly positionIds: readonly number[];
  /** Row-major, 1 where row may attend to column. */
  readonly attentionMask: Uint8Array;
  readonly length: number;
  /** `[CLS]` + code + `[SEP]`; the nodes follow. */
  readonly codeLength: number;
  readonly nodeCount: number;
}

/**
 * GraphCodeBERT's input for one snippet, following its fine-tuning recipe:
 * code is cut so that code and nodes share `maxCodeLength + maxDfgLength`
 * positions (nodes get at most `maxDfgLength`), then
 * - code tokens and separators attend to each other;
 * - `[CLS]` and `[SEP]` attend to everything;
 * - a node and the sub-words of its occurrence attend to each other;
 * - a node attends to the nodes its value comes from (or, left with nothing
 *   after truncation, to itself).
 * Nodes are mapped to sub-words by character span. Pure.
 */
export function buildGraphCodeBertInputs(tokens: SubwordTokens, dfg: DataFlowGraph, maxCodeLength: number, maxDfgLength: number, special: SpecialTokenIds): GraphCodeBertInput {
  const window = maxCodeLength + maxDfgLength;
  const codeBudget = Math.max(0, window - 2 - Math.min(dfg.nodes.length, maxDfgLength));
  const code = tokens.ids.slice(0, codeBudget);
  const spans = tokens.spans.slice(0, codeBudget);
  const codeLength = code.length + 2;
  const nodeCount = Math.max(0, Math.min(dfg.nodes.length, window - codeLength));
  const length = codeLength + nodeCount;

  const inputIds = [special.cls, ...code, special.sep, ...new Array<number>(nodeCount).fill(special.unk)];
  const positionIds = [...Array.from({ length: codeLength }, (_, i) => FIRST_CODE_POSITION + i), ...new Array<number>(nodeCount).fill(NODE_POSITION)];
  const mask = new Uint8Array(length * length);
  const allow = (row: number, column: number) => (mask[row * length + column] = 1);
  for (let row = 0; row < codeLength; row++) for (let column = 0; column < codeLength; column++) allow(row, column);
  for (const row of [0, codeLength - 1]) for (let column = 0; column < length; column++) allow(row, column);
  for (let node = 0; node < nodeCount; node++) {
    const { start, end } = dfg.nodes[node]!;
    spans.forEach(([tokenStart, tokenEnd], token) => {
      if (tokenStart < end && start < tokenEnd) {
        allow(codeLength + node, token + 1);
        allow(token + 1, codeLength + node);
      }
    });
  }
  for (const edge of dfg.edges) {
    if (edge.target < nodeCount && edge.source < nodeCount) allow(codeLength + edge.target, codeLength + edge.source);
  }
  // A node whose occurrence was cut off and whose sources are gone would attend to nothing, and softmax
  // would spread it over the padding, making its output depend on the batch; it attends to itself instead.
  for (let row = codeLength; row < length; row++) {
    if (!mask.subarray(row * length, (row + 1) * length).includes(1)) allow(row, row);
  }
  return { inputIds, positionIds, attentionMask: mask, length, codeLength, nodeCount };
}

/** Plain token input in the same layout (queries, code without an extractor): `[CLS] tokens [SEP]`, no nodes. */
export function buildTokenOnlyInputs(ids: readonly number[], maxLength: number, special: SpecialTokenIds): GraphCodeBertInput {
  return buildGraphCodeBertInputs({ ids: ids.slice(0, Math.max(0, maxLength - 2)), spans: [] }, { nodes: [], edges: [] }, maxLength, 0, special);
}

/** Tensors for a batch, padded to `width`: ids `[B, W]`, position ids `[B, W]`, attention mask `[B, W, W]`, plus a `[B, W]` mask of real positions. */
export interface GraphCodeBertBatch {
  readonly inputIds: BigInt64Array;
  readonly positionIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenMask: BigInt64Array;
}

export function batchGraphCodeBertInputs(inputs: readonly GraphCodeBertInput[], width: number, pad: number): GraphCodeBertBatch {
  const rows = inputs.length;
  const inputIds = new BigInt64Array(rows * width).fill(BigInt(pad));
  const positionIds = new BigInt64Array(rows * width).fill(BigInt(PAD_POSITION));
  const attentionMask = new BigInt64Array(rows * width * width);
  const tokenMask = new BigInt64Array(rows * width);
  inputs.forEach((input, row) => {
    if (input.length > width) throw new RangeError(`Input of length ${input.length} does not fit a batch of width ${width}`);
    for (let t = 0; t < input.length; t++) {
      inputIds[row * width + t] = BigInt(input.inputIds[t]!);
      positionIds[row * width + t] = BigInt(input.positionIds[t]!);
      tokenMask[row * width + t] = 1n;
      const from = t * input.length;
      const to = (row * width + t) * width;
      for (let column = 0; column < input.length; column++) if (input.attentionMask[from + column]) attentionMask[to + column] = 1n;
    }
  });
  return { inputIds, positionIds, attentionMask, tokenMask };
}
