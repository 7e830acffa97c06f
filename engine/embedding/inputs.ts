import * as ort from 'onnxruntime-node';
import type { PaddingSide } from './manifest.js';

export interface InputLayout {
  /** The graph's input names (`session.inputNames`). */
  readonly inputNames: readonly string[];
  readonly padTokenId: number;
  readonly paddingSide: PaddingSide;
  /** First position id of a text (RoBERTa family: `pad_token_id + 1`); padding gets the one before it. */
  readonly positionOffset: number;
}

export interface ModelInputs {
  readonly feeds: Record<string, ort.Tensor>;
  /** `[rows, width]`, 1 for real tokens: what pooling reads. */
  readonly mask: BigInt64Array;
}

/**
 * Everything one padded batch feeds the graph, decided in one place: token ids
 * padded to `width`, and whichever of `attention_mask`, `token_type_ids` (all
 * zero: one segment) and `position_ids` (counting real tokens, so left padding
 * keeps positions from 0) the graph declares. Graphs that compute positions
 * themselves (BERT, RoBERTa) simply do not declare `position_ids`.
 */
export function buildModelInputs(rows: readonly (readonly number[])[], width: number, layout: InputLayout): ModelInputs {
  const size = rows.length * width;
  const ids = new BigInt64Array(size).fill(BigInt(layout.padTokenId));
  const mask = new BigInt64Array(size);
  rows.forEach((row, r) => {
    // An empty text still needs one real position; it reads the padding token.
    const tokens = row.length > 0 ? row : [layout.padTokenId];
    const start = r * width + (layout.paddingSide === 'left' ? width - tokens.length : 0);
    for (let t = 0; t < tokens.length; t++) {
      ids[start + t] = BigInt(tokens[t]!);
      mask[start + t] = 1n;
    }
  });
  const shape = [rows.length, width];
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, shape) };
  const wants = (name: string) => layout.inputNames.includes(name);
  if (wants('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, shape);
  if (wants('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(size), shape);
  if (wants('position_ids')) feeds['position_ids'] = new ort.Tensor('int64', positionIds(mask, rows.length, width, layout.positionOffset), shape);
  return { feeds, mask };
}

/**
 * `offset`, `offset + 1`… over each row's real tokens, so left padding does not
 * shift them; padding gets `offset - 1` (RoBERTa's padding index) or 0, and is masked.
 */
function positionIds(mask: BigInt64Array, rows: number, width: number, offset: number): BigInt64Array {
  const positions = new BigInt64Array(rows * width).fill(BigInt(Math.max(0, offset - 1)));
  for (let r = 0; r < rows; r++) {
    let next = BigInt(offset);
    for (let t = 0; t < width; t++) {
      if (mask[r * width + t] === 0n) continue;
      positions[r * width + t] = next++;
    }
  }
  return positions;
}
