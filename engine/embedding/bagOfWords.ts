/**
 * Inference for the bag-of-subword-embeddings graph that
 * training/export_bow_onnx.py writes, in plain TypeScript: a weighted mean of
 * token vectors, L2-normalised. Through ONNX Runtime the same arithmetic costs
 * a padded int64 batch, a native call and copies per batch; here it is one
 * pass over each text's ids. The weights are read from the ONNX file's own
 * initializers, and a graph is only taken when every node matches the
 * exporter's, so any other model goes to ONNX Runtime.
 */
import { OnnxFormatError, protobufFields } from './onnxGraph.js';
import { BagOfWordsKernel, tableMemory, type KernelTables } from './bagOfWordsKernel.js';
import { finalizeVector } from './pooling.js';

export interface BagOfWordsWeights {
  readonly vocab: number;
  readonly dimension: number;
  /**
   * `[vocab, dimension]`, widened from the graph's float16 (exact): reading halves through a
   * conversion table cost twice the time of the whole sum. Rows are widened on first use while
   * `pending` is set (`widenRows`), every row before the table is shared (`widenAll`).
   */
  readonly embeddings: Float32Array;
  /**
   * Where `embeddings`, `tokenWeights` and `positionWeights` sit in the shared WebAssembly memory
   * the kernel reads (bagOfWordsKernel.ts); null where WebAssembly SIMD is missing, and the
   * tables are plain (shared) arrays.
   */
  readonly kernelTables: KernelTables | null;
  /**
   * The float16 rows and which of them `embeddings` holds yet; null once every row is widened.
   * Widening all 8 M values took 32 ms of a one-off search's start, which reads a few rows.
   */
  pending: { readonly halves: Uint16Array; readonly widened: Uint8Array } | null;
  readonly tokenWeights: Float32Array;
  /** Weight of each position (inputs are at most this long), or null when the graph has none. */
  readonly positionWeights: Float32Array | null;
  readonly epsilon: number;
}

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, i: 3 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VALUE_INFO_NAME = 1;
const DATA_TYPE = { float: 1, int64: 7, float16: 10 } as const;

interface NodeShape {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, number>>;
}

const node = (op: string, inputs: string[], outputs: string[], attributes: Record<string, number> = {}): NodeShape => ({ op, inputs, outputs, attributes });

/** The exporter's graph, node for node (`build_graph` in training/export_bow_onnx.py). */
function expectedNodes(withPositions: boolean): NodeShape[] {
  const weights = withPositions ? 'positioned_weights' : 'masked_weights';
  return [
    node('Gather', ['token_embeddings', 'input_ids'], ['embedded16'], { axis: 0 }),
    node('Cast', ['embedded16'], ['embedded'], { to: DATA_TYPE.float }),
    node('Gather', ['token_weights', 'input_ids'], ['weights'], { axis: 0 }),
    node('Cast', ['attention_mask'], ['mask'], { to: DATA_TYPE.float }),
    node('Mul', ['weights', 'mask'], ['masked_weights']),
    ...(withPositions
      ? [
          node('Shape', ['input_ids'], ['ids_shape']),
          node('Slice', ['ids_shape', 'one', 'two'], ['length']),
          node('Slice', ['position_weights', 'zero', 'length', 'zero'], ['positions_used']),
          node('Mul', ['masked_weights', 'positions_used'], ['positioned_weights']),
        ]
      : []),
    node('Unsqueeze', [weights, 'axis_last'], ['weights3']),
    node('Mul', ['embedded', 'weights3'], ['weighted']),
    node('ReduceSum', ['weighted', 'axis_length'], ['summed'], { keepdims: 0 }),
    node('ReduceSum', [weights, 'axis_length'], ['total'], { keepdims: 1 }),
    node('Add', ['total', 'epsilon'], ['total_safe']),
    node('Div', ['summed', 'total_safe'], ['mean']),
    node('Mul', ['mean', 'mean'], ['squared']),
    node('ReduceSum', ['squared', 'axis_last'], ['norm_squared'], { keepdims: 1 }),
    node('Sqrt', ['norm_squared'], ['norm']),
    node('Add', ['norm', 'epsilon'], ['norm_safe']),
    node('Div', ['mean', 'norm_safe'], ['sentence_embedding']),
  ];
}

interface Tensor {
  readonly dims: number[];
  readonly dataType: number;
  readonly raw: Uint8Array | null;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

function readVarints(bytes: Uint8Array): number[] {
  const values: number[] = [];
  let value = 0;
  let scale = 1;
  for (const byte of bytes) {
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      values.push(value);
      value = 0;
      scale = 1;
    }
  }
  return values;
}

function readNode(bytes: Uint8Array): NodeShape & { domain: string } {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: Record<string, number> = {};
  let op = '';
  let domain = '';
  for (const field of protobufFields(bytes)) {
    if (field.number === NODE.input && field.bytes) inputs.push(text(field.bytes));
    else if (field.number === NODE.output && field.bytes) outputs.push(text(field.bytes));
    else if (field.number === NODE.opType && field.bytes) op = text(field.bytes);
    else if (field.number === NODE.domain && field.bytes) domain = text(field.bytes);
    else if (field.number === NODE.attribute && field.bytes) {
      let name = '';
      let value = Number.NaN;
      for (const part of protobufFields(field.bytes)) {
        if (part.number === ATTRIBUTE.name && part.bytes) name = text(part.bytes);
        // Any other attribute value (floats, strings, tensors) makes the node unknown: NaN never matches.
        else if (part.number === ATTRIBUTE.i && part.varint !== undefined) value = part.varint;
      }
      attributes[name] = value;
    }
  }
  return { op, inputs, outputs, attributes, domain };
}

function readTensor(bytes: Uint8Array): Tensor & { name: string } {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | null = null;
  for (const field of protobufFields(bytes)) {
    if (field.number === TENSOR.dims) {
      if (field.bytes) dims.push(...readVarints(field.bytes));
      else if (field.varint !== undefined) dims.push(field.varint);
    } else if (field.number === TENSOR.dataType && field.varint !== undefined) dataType = field.varint;
    else if (field.number === TENSOR.name && field.bytes) name = text(field.bytes);
    else if (field.number === TENSOR.rawData && field.bytes) raw = field.bytes;
  }
  return { name, dims, dataType, raw };
}

function sameNode(actual: NodeShape & { domain: string }, expected: NodeShape): boolean {
  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, index) => value === b[index]);
  const names = Object.keys(expected.attributes);
  return (
    actual.domain === '' && actual.op === expected.op && sameList(actual.inputs, expected.inputs) && sameList(actual.outputs, expected.outputs) &&
    Object.keys(actual.attributes).length === names.length && names.every((name) => actual.attributes[name] === expected.attributes[name])
  );
}

/** A copy of a raw little-endian tensor payload, aligned for a typed-array view. */
function copyRaw(tensor: Tensor, bytesPerValue: number, count: number): ArrayBuffer | null {
  if (!tensor.raw || tensor.raw.byteLength !== bytesPerValue * count) return null;
  // A copy (not Buffer#slice, which is a view into the file's bytes).
  return new Uint8Array(tensor.raw).buffer;
}

/**
 * The weights of a bag-of-subwords graph as the exporter writes it, or null
 * for any other graph (the caller then runs it through ONNX Runtime).
 */
export function readBagOfWordsGraph(model: Uint8Array): BagOfWordsWeights | null {
  try {
    let graph: Uint8Array | undefined;
    for (const field of protobufFields(model)) if (field.number === MODEL_GRAPH && field.bytes) graph = field.bytes;
    if (!graph) return null;
    const nodes: (NodeShape & { domain: string })[] = [];
    const tensors = new Map<string, Tensor>();
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const field of protobufFields(graph)) {
      if (!field.bytes) continue;
      if (field.number === GRAPH.node) nodes.push(readNode(field.bytes));
      else if (field.number === GRAPH.initializer) {
        const tensor = readTensor(field.bytes);
        tensors.set(tensor.name, tensor);
      } else if (field.number === GRAPH.input || field.number === GRAPH.output) {
        let name = '';
        for (const part of protobufFields(field.bytes)) if (part.number === VALUE_INFO_NAME && part.bytes) name = text(part.bytes);
        (field.number === GRAPH.input ? inputs : outputs).push(name);
      }
    }
    const withPositions = tensors.has('position_weights');
    const expected = expectedNodes(withPositions);
    if (nodes.length !== expected.length || !nodes.every((actual, index) => sameNode(actual, expected[index]!))) return null;
    if (inputs.join() !== 'input_ids,attention_mask' || outputs.join() !== 'sentence_embedding') return null;

    const embeddings = tensors.get('token_embeddings');
    const tokenWeights = tensors.get('token_weights');
    const epsilon = tensors.get('epsilon');
    if (!embeddings || embeddings.dataType !== DATA_TYPE.float16 || embeddings.dims.length !== 2) return null;
    const [vocab, dimension] = embeddings.dims as [number, number];
    if (!tokenWeights || tokenWeights.dataType !== DATA_TYPE.float || tokenWeights.dims.join() !== String(vocab)) return null;
    if (!epsilon || epsilon.dataType !== DATA_TYPE.float || epsilon.dims.length !== 0) return null;
    const integerConstant = (name: string, value: number) => {
      const tensor = tensors.get(name);
      const buffer = tensor && tensor.dataType === DATA_TYPE.int64 && tensor.dims.join() === '1' ? copyRaw(tensor, 8, 1) : null;
      return buffer !== null && new BigInt64Array(buffer)[0] === BigInt(value);
    };
    if (!integerConstant('axis_length', 1) || !integerConstant('axis_last', -1)) return null;
    if (withPositions && !(integerConstant('zero', 0) && integerConstant('one', 1) && integerConstant('two', 2))) return null;
    const positions = withPositions ? tensors.get('position_weights')! : null;
    if (positions && (positions.dataType !== DATA_TYPE.float || positions.dims.length !== 1)) return null;

    const embeddingBuffer = copyRaw(embeddings, 2, vocab * dimension);
    const weightBuffer = copyRaw(tokenWeights, 4, vocab);
    const epsilonBuffer = copyRaw(epsilon, 4, 1);
    const positionBuffer = positions ? copyRaw(positions, 4, positions.dims[0]!) : null;
    if (!embeddingBuffer || !weightBuffer || !epsilonBuffer || (positions && !positionBuffer)) return null;
    const positionCount = positionBuffer ? positions!.dims[0]! : 0;
    const tableBytes = vocab * dimension * 4;
    const memory = tableMemory(tableBytes + vocab * 4 + positionCount * 4);
    const table = memory ? new Float32Array(memory.buffer, 0, vocab * dimension) : new Float32Array(new SharedArrayBuffer(tableBytes));
    // In the kernel's memory the token and position weights follow the rows (copied there once).
    const tokenWeightValues = memory ? new Float32Array(memory.buffer, tableBytes, vocab) : new Float32Array(weightBuffer);
    if (memory) tokenWeightValues.set(new Float32Array(weightBuffer));
    let positionWeights: Float32Array | null = null;
    if (positionBuffer) {
      positionWeights = memory ? new Float32Array(memory.buffer, tableBytes + vocab * 4, positionCount) : new Float32Array(positionBuffer);
      if (memory) positionWeights.set(new Float32Array(positionBuffer));
    }
    return {
      vocab,
      dimension,
      embeddings: table,
      kernelTables: memory ? { memory, vocab, dimension, tokenWeightsAt: tokenWeightValues.byteOffset, positionWeightsAt: positionWeights ? positionWeights.byteOffset : 0 } : null,
      pending: { halves: new Uint16Array(embeddingBuffer), widened: new Uint8Array(vocab) },
      tokenWeights: tokenWeightValues,
      positionWeights,
      epsilon: new Float32Array(epsilonBuffer)[0]!,
    };
  } catch (error) {
    if (error instanceof OnnxFormatError) return null;
    throw error;
  }
}

/** float16 bits → float32 value, for all 65,536 patterns. */
const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    table[bits] = exponent === 0 ? sign * 2 ** -14 * (fraction / 1024) : exponent === 31 ? (fraction ? Number.NaN : sign * Infinity) : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return table;
})();

/** Widens the rows of these ids that are not widened yet (one thread's table: see `widenAll` before sharing it). */
function widenRows(weights: BagOfWordsWeights, ids: Int32Array, count: number): void {
  const pending = weights.pending;
  if (!pending) return;
  const { halves, widened } = pending;
  const { dimension, embeddings } = weights;
  for (let index = 0; index < count; index++) {
    const id = ids[index]!;
    if (widened[id]) continue;
    const start = id * dimension;
    for (let at = start; at < start + dimension; at++) embeddings[at] = HALF_TO_FLOAT[halves[at]!]!;
    widened[id] = 1;
  }
}

/**
 * Widens every row not widened yet and drops the float16 copy: the table is complete before it
 * is handed to worker threads (shared memory they read, never write; see `loadedModelFiles`).
 */
export function widenAll(weights: BagOfWordsWeights): void {
  const pending = weights.pending;
  if (!pending) return;
  const { halves, widened } = pending;
  const { dimension, embeddings } = weights;
  for (let id = 0; id < weights.vocab; id++) {
    if (widened[id]) continue;
    const start = id * dimension;
    for (let at = start; at < start + dimension; at++) embeddings[at] = HALF_TO_FLOAT[halves[at]!]!;
  }
  weights.pending = null;
}

/**
 * The graph's arithmetic for one text: `sum_i w_i · E[id_i] / (sum_i w_i + ε)`,
 * with `w_i` the token's weight times its position's, then divided by its L2
 * norm plus ε. Float32 throughout, as in the graph; only the order of the
 * additions may differ from ONNX Runtime's (a few ulps). An empty input reads
 * as one padding token, as the batched graph input does.
 */
export class BagOfWordsModel {
  /**
   * The script path's scratch, made on its first use (a thread the kernel serves never needs it):
   * the summed weight of each token id in the text being embedded (zero between calls), and the
   * text's distinct ids in first-seen order with their summed weights and table rows.
   */
  private script: { readonly idWeight: Float64Array; readonly idSeen: Uint8Array; distinct: Int32Array; distinctWeight: Float64Array; distinctRow: Int32Array } | null = null;
  /** This thread's kernel scratch (`kernel`); undefined until the first text. */
  private kernelScratch: BagOfWordsKernel | null | undefined;

  /** `useKernel: false` keeps the plain script path (the reference the tests compare the kernel with). */
  constructor(
    readonly weights: BagOfWordsWeights,
    private readonly padTokenId: number,
    private readonly useKernel = true,
  ) {
  }

  /** Longest input the graph accepts (its position table), or Infinity. */
  get maxLength(): number {
    return this.weights.positionWeights?.length ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Code repeats tokens, so the weights of each distinct id are summed first
   * and each embedding row is read once. Sums are kept in float64 and rounded
   * to float32 where the graph stores a tensor; the result differs from ONNX
   * Runtime's sequential float32 sums by rounding only (see the parity test).
   * In WebAssembly where it runs (bagOfWordsKernel.ts), else in script, with
   * the same operations in the same order.
   */
  embed(ids: readonly number[]): Float32Array {
    return this.embedVector(ids, this.weights.dimension, false);
  }

  /**
   * The embedder's vector for `ids`: the graph's output cut to its first `keep` values and, with
   * `normalize`, divided by their length again (`finalizeVector`). Where the kernel runs, the
   * graph's tail and that finish are one call (they were a fifth of a text's time in script).
   */
  embedVector(ids: readonly number[], keep: number, normalize: boolean): Float32Array {
    const { positionWeights, dimension, epsilon } = this.weights;
    const tokens = ids.length > 0 ? ids : [this.padTokenId];
    if (positionWeights && tokens.length > positionWeights.length) throw new RangeError(`Input of ${tokens.length} tokens exceeds the graph's ${positionWeights.length} positions`);
    const kernel = this.kernel();
    if (kernel && tokens.length <= kernel.capacity) {
      const denominator = this.sumWithKernel(kernel, tokens);
      return kernel.finish(denominator, epsilon, keep, normalize).slice(0, keep);
    }
    const { squares, mean } = this.meanInScript(tokens);
    const norm = Math.fround(Math.fround(Math.sqrt(Math.fround(squares))) + epsilon);
    for (let d = 0; d < dimension; d++) mean[d]! /= norm;
    return finalizeVector(mean, keep, normalize);
  }

  /** The kernel for this thread, looked up on first use; null where it cannot run. */
  private kernel(): BagOfWordsKernel | null {
    if (this.kernelScratch === undefined) this.kernelScratch = this.useKernel ? BagOfWordsKernel.forThread(this.weights.kernelTables) : null;
    return this.kernelScratch;
  }

  /**
   * The weighted row sums (`sum_i w_i · E[id_i]`) in the kernel's `sums`, returning the
   * denominator (`sum_i w_i + ε`), in WebAssembly. Measured on the bench corpus's chunks (bench/speed/NOTES.md): the
   * script spent 16.5 µs a text on the row sums, most of it waiting for the scattered rows of a
   * 32 MB table, and about 4 µs summing weights per id; the kernel streams each row whole with
   * SIMD and does both.
   */
  private sumWithKernel(kernel: BagOfWordsKernel, tokens: readonly number[]): number {
    const { vocab, epsilon } = this.weights;
    kernel.ids.set(tokens);
    const gathered = kernel.gather(tokens.length);
    if (typeof gathered === 'number') throw outsideVocabulary(tokens[-1 - gathered]!, vocab);
    widenRows(this.weights, kernel.distinct, gathered.distinct);
    kernel.sumRows(gathered.rows);
    return Math.fround(Math.fround(gathered.total) + epsilon);
  }

  /** The mean row and its squares in plain script (the kernel's `gather`, `sumRows` and `finish`), for runtimes without WebAssembly SIMD and inputs longer than the kernel takes. */
  private meanInScript(tokens: readonly number[]): { squares: number; mean: Float32Array } {
    const { tokenWeights, positionWeights, dimension, vocab, epsilon } = this.weights;
    const scratch = this.scriptScratch(tokens.length);
    const { idWeight, idSeen, distinct } = scratch;
    let count = 0;
    let total = 0;
    for (let position = 0; position < tokens.length; position++) {
      const id = tokens[position]!;
      if (!(id >= 0 && id < vocab)) {
        for (let index = 0; index < count; index++) (idWeight[distinct[index]!] = 0), (idSeen[distinct[index]!] = 0);
        throw outsideVocabulary(id, vocab);
      }
      const weight = Math.fround(tokenWeights[id]! * (positionWeights ? positionWeights[position]! : 1));
      if (idSeen[id] === 0) {
        idSeen[id] = 1;
        distinct[count++] = id;
      }
      idWeight[id]! += weight;
      total += weight;
    }
    // Ids whose weights sum to zero add nothing (and are skipped, as a zero weight times a table value could be -0).
    const rows = scratch.distinctRow;
    const rowWeight = scratch.distinctWeight;
    let used = 0;
    for (let index = 0; index < count; index++) {
      const id = distinct[index]!;
      const weight = idWeight[id]!;
      idWeight[id] = 0;
      idSeen[id] = 0;
      if (weight === 0) continue;
      rows[used] = id * dimension;
      rowWeight[used++] = weight;
    }
    widenRows(this.weights, distinct, count);
    const denominator = Math.fround(Math.fround(total) + epsilon);
    const mean = new Float32Array(dimension);
    const table = this.weights.embeddings;
    let squares = 0;
    let d = 0;
    // Eight dimensions at a time, all rows per block: the sums stay in registers (V8 does not
    // vectorise). Each dimension still adds the rows in first-seen order, so the float64 sums
    // are bit for bit those of a row-by-row pass.
    for (; d + 8 <= dimension; d += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let index = 0; index < used; index++) {
        const row = rows[index]! + d;
        const weight = rowWeight[index]!;
        s0 += table[row]! * weight;
        s1 += table[row + 1]! * weight;
        s2 += table[row + 2]! * weight;
        s3 += table[row + 3]! * weight;
        s4 += table[row + 4]! * weight;
        s5 += table[row + 5]! * weight;
        s6 += table[row + 6]! * weight;
        s7 += table[row + 7]! * weight;
      }
      const v0 = Math.fround(Math.fround(s0) / denominator);
      const v1 = Math.fround(Math.fround(s1) / denominator);
      const v2 = Math.fround(Math.fround(s2) / denominator);
      const v3 = Math.fround(Math.fround(s3) / denominator);
      const v4 = Math.fround(Math.fround(s4) / denominator);
      const v5 = Math.fround(Math.fround(s5) / denominator);
      const v6 = Math.fround(Math.fround(s6) / denominator);
      const v7 = Math.fround(Math.fround(s7) / denominator);
      mean[d] = v0;
      mean[d + 1] = v1;
      mean[d + 2] = v2;
      mean[d + 3] = v3;
      mean[d + 4] = v4;
      mean[d + 5] = v5;
      mean[d + 6] = v6;
      mean[d + 7] = v7;
      squares += v0 * v0;
      squares += v1 * v1;
      squares += v2 * v2;
      squares += v3 * v3;
      squares += v4 * v4;
      squares += v5 * v5;
      squares += v6 * v6;
      squares += v7 * v7;
    }
    for (; d < dimension; d++) {
      let sum = 0;
      for (let index = 0; index < used; index++) sum += table[rows[index]! + d]! * rowWeight[index]!;
      const value = Math.fround(Math.fround(sum) / denominator);
      mean[d] = value;
      squares += value * value;
    }
    return { squares, mean };
  }

  /** The script path's scratch, with room for `length` distinct ids. */
  private scriptScratch(length: number): NonNullable<BagOfWordsModel['script']> {
    const { vocab } = this.weights;
    this.script ??= { idWeight: new Float64Array(vocab), idSeen: new Uint8Array(vocab), distinct: new Int32Array(512), distinctWeight: new Float64Array(512), distinctRow: new Int32Array(512) };
    if (this.script.distinct.length < length) {
      this.script.distinct = new Int32Array(length);
      this.script.distinctWeight = new Float64Array(length);
      this.script.distinctRow = new Int32Array(length);
    }
    return this.script;
  }
}

function outsideVocabulary(id: number, vocab: number): RangeError {
  return new RangeError(`Token id ${id} is outside the vocabulary (${vocab})`);
}
