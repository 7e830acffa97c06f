/** A typed array of the lexical index's kinds, growable by `withRoom`. */
type GrowableArray = Int32Array | Uint32Array | Float32Array | Uint8Array;

/** `array` when it holds `needed` elements, else a copy with its length doubled until it does. */
export function withRoom<T extends GrowableArray>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let length = Math.max(1, array.length);
  while (length < needed) length *= 2;
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array);
  return next;
}
