export { decodeInt8Blob, dequantizeInt8, encodeInt8Blob, quantizeInt8, type QuantizedVector } from './quantize.js';
export { dot, Int8Matrix, topK, type Scored } from './similarity.js';
