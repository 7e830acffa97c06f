import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../errors.js';
import { batchGraphCodeBertInputs, FIRST_CODE_POSITION, type GraphCodeBertInput } from './inputs.js';

const REQUIRED_INPUTS = ['input_ids', 'attention_mask', 'position_ids'];

/** Refuses a graph that cannot take GraphCodeBERT input, naming what it takes instead. */
export function checkGraphCodeBertSignature(inputNames: readonly string[], modelDir: string): void {
  const missing = REQUIRED_INPUTS.filter((name) => !inputNames.includes(name));
  if (missing.length === 0) return;
  throw new ModelLoadError(`Model in ${modelDir} asks for GraphCodeBERT data-flow input, but its graph lacks ${missing.join(', ')} (it takes ${inputNames.join(', ')})`, {
    modelDir,
    hint: "Export the model with input_ids, a [batch, length, length] attention_mask and position_ids, or drop 'input' from its manifest.",
  });
}

/**
 * The session feeds for a batch of GraphCodeBERT inputs, plus the `[B, W]`
 * mask of real positions that pooling reads.
 */
export function graphCodeBertFeeds(inputs: readonly GraphCodeBertInput[], width: number, inputNames: readonly string[], padTokenId: number): { feeds: Record<string, ort.Tensor>; mask: BigInt64Array } {
  const batch = batchGraphCodeBertInputs(inputs, width, padTokenId);
  const shape = [inputs.length, width];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', batch.inputIds, shape),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, [inputs.length, width, width]),
    position_ids: new ort.Tensor('int64', batch.positionIds, shape),
  };
  if (inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(inputs.length * width), shape);
  return { feeds, mask: batch.tokenMask };
}

/** A one-token input for probing the graph before the tokenizer is known. */
export function probeGraphCodeBertInput(tokenId: number): GraphCodeBertInput {
  return { inputIds: [tokenId], positionIds: [FIRST_CODE_POSITION], attentionMask: Uint8Array.of(1), length: 1, codeLength: 1, nodeCount: 0 };
}
