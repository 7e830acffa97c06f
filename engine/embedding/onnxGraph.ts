/**
 * Reads what a model file would make ONNX Runtime load besides its own
 * operators: the operator domains it uses and the external data files it
 * names. A minimal protobuf wire-format walk over the fields of onnx.proto
 * that matter here; everything else (weights included) is skipped by length.
 */

export interface OnnxGraphFacts {
  /** Domains of `opset_import` entries and of every node, in the main graph, sub-graphs and functions. */
  readonly domains: ReadonlySet<string>;
  /** Domains defined by the model's own functions (expanded by the runtime, no native code). */
  readonly functionDomains: ReadonlySet<string>;
  /** `location` of every initializer stored as external data. */
  readonly externalData: readonly string[];
}

/**
 * Domains whose operators ONNX Runtime implements itself: the ONNX standard
 * (`''` and its alias `ai.onnx`), ONNX-ML, and ONNX Runtime's own contrib
 * operators (`com.microsoft`, which optimised and quantised exports use).
 * Anything else can only run through a registered custom-op library, that is
 * native code shipped with the model, which CodeGraph never registers.
 */
export const BUILT_IN_DOMAINS: ReadonlySet<string> = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

// Field numbers from onnx.proto.
const MODEL = { graph: 7, opsetImport: 8, functions: 25 } as const;
const OPSET = { domain: 1 } as const;
const GRAPH = { node: 1, initializer: 5 } as const;
const NODE = { attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { graph: 6, graphs: 11 } as const;
const TENSOR = { externalData: 13 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const FUNCTION = { node: 7, opsetImport: 9, domain: 10 } as const;

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LENGTH = 2;
const WIRE_32BIT = 5;

interface Field {
  readonly number: number;
  readonly wire: number;
  /** For length-delimited fields: the payload. */
  readonly bytes?: Uint8Array;
  /** For varint fields: the value (exact up to 2^53). */
  readonly varint?: number;
}

export class OnnxFormatError extends Error {}

export function inspectOnnxModel(model: Uint8Array): OnnxGraphFacts {
  const domains = new Set<string>();
  const functionDomains = new Set<string>();
  const externalData: string[] = [];
  const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

  const visitNode = (node: Uint8Array) => {
    let domain = '';
    for (const field of fields(node)) {
      if (field.number === NODE.domain && field.bytes) domain = text(field.bytes);
      if (field.number === NODE.attribute && field.bytes) {
        for (const attribute of fields(field.bytes)) {
          if ((attribute.number === ATTRIBUTE.graph || attribute.number === ATTRIBUTE.graphs) && attribute.bytes) visitGraph(attribute.bytes);
        }
      }
    }
    domains.add(domain);
  };
  const visitGraph = (graph: Uint8Array) => {
    for (const field of fields(graph)) {
      if (field.number === GRAPH.node && field.bytes) visitNode(field.bytes);
      if (field.number === GRAPH.initializer && field.bytes) {
        for (const tensorField of fields(field.bytes)) {
          if (tensorField.number !== TENSOR.externalData || !tensorField.bytes) continue;
          let key = '';
          let value = '';
          for (const entry of fields(tensorField.bytes)) {
            if (entry.number === ENTRY.key && entry.bytes) key = text(entry.bytes);
            if (entry.number === ENTRY.value && entry.bytes) value = text(entry.bytes);
          }
          if (key === 'location') externalData.push(value);
        }
      }
    }
  };
  const visitOpset = (opset: Uint8Array) => {
    let domain = '';
    for (const field of fields(opset)) if (field.number === OPSET.domain && field.bytes) domain = text(field.bytes);
    domains.add(domain);
  };

  for (const field of fields(model)) {
    if (!field.bytes) continue;
    if (field.number === MODEL.graph) visitGraph(field.bytes);
    else if (field.number === MODEL.opsetImport) visitOpset(field.bytes);
    else if (field.number === MODEL.functions) {
      for (const part of fields(field.bytes)) {
        if (!part.bytes) continue;
        if (part.number === FUNCTION.domain) functionDomains.add(text(part.bytes));
        else if (part.number === FUNCTION.node) visitNode(part.bytes);
        else if (part.number === FUNCTION.opsetImport) visitOpset(part.bytes);
      }
    }
  }
  return { domains, functionDomains, externalData };
}

/** Domains that neither ONNX Runtime nor the model's own functions provide. */
export function foreignDomains(facts: OnnxGraphFacts): string[] {
  return [...facts.domains].filter((domain) => !BUILT_IN_DOMAINS.has(domain) && !facts.functionDomains.has(domain)).sort();
}

/** The top-level fields of a protobuf message, in wire order. */
export function* protobufFields(bytes: Uint8Array): Generator<Field> {
  yield* fields(bytes);
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (offset >= bytes.length) throw new OnnxFormatError('truncated varint');
      const byte = bytes[offset++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new OnnxFormatError('varint too long');
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === WIRE_VARINT) {
      yield { number, wire, varint: varint() };
    } else if (wire === WIRE_64BIT || wire === WIRE_32BIT) {
      offset += wire === WIRE_64BIT ? 8 : 4;
      if (offset > bytes.length) throw new OnnxFormatError('truncated fixed-width field');
      yield { number, wire };
    } else if (wire === WIRE_LENGTH) {
      const length = varint();
      if (offset + length > bytes.length) throw new OnnxFormatError(`field ${number} runs past the end of the data`);
      yield { number, wire, bytes: bytes.subarray(offset, offset + length) };
      offset += length;
    } else {
      throw new OnnxFormatError(`unsupported wire type ${wire} in field ${number}`);
    }
  }
}
