/**
 * IEEE 754 binary16 conversion by bit manipulation: Node 20 has neither
 * `Float16Array` nor `DataView.getFloat16`. Rounding is to nearest, ties to
 * even, as hardware converters do; overflow goes to ±Infinity and values below
 * half the smallest subnormal (2^-25) to ±0.
 */

const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** The binary16 bit pattern nearest to `value`. */
export function toFloat16Bits(value: number): number {
  floatView[0] = value;
  const bits = bitsView[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // NaN stays NaN (quiet), ±Infinity stays
  const halfExponent = exponent - 112; // rebias 127 → 15
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = m × 2^-24, with m taken from the mantissa including its implicit 1.
    const shift = 126 - exponent;
    if (shift > 24) return sign;
    const full = mantissa | 0x800000;
    let half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++; // may carry into the smallest normal, which is right
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent rounds up to the next binade, or to Infinity
  return sign | half;
}

/** The value of a binary16 bit pattern. */
export function fromFloat16Bits(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let decodeTable: Float32Array | null = null;

/**
 * All 65,536 binary16 values as float32 (256 KB, built once): scanning by table
 * lookup is several times faster than converting bits in the inner loop.
 */
export function float16Table(): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) decodeTable[bits] = fromFloat16Bits(bits);
  }
  return decodeTable;
}
