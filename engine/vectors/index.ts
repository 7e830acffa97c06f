export { capacityWithRoom, CodedMatrix } from './codedMatrix.js';
export { createCodec, isVectorPrecision, VECTOR_PRECISIONS, type VectorCodec, type VectorPrecision } from './codecs.js';
export { float16Table, fromFloat16Bits, toFloat16Bits } from './float16.js';
export {
  applyPcaToDocument,
  applyPcaToQuery,
  createPcaProjection,
  decodePca,
  encodePca,
  fitPca,
  reconstructFromPca,
  type PcaFitOptions,
  type PcaProjection,
} from './pca.js';
export { decodeInt8Blob, dequantizeInt8, encodeInt8Blob, quantizeInt8, quantizeInt8Blobs, type QuantizedVector } from './quantize.js';
export { dot, Int8Matrix, topK, type Scored } from './similarity.js';
export { SignScanThread } from './signScanThread.js';
