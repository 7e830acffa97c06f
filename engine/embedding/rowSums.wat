;; The bag-of-words model's weighted sum of embedding rows, with WebAssembly SIMD
;; (engine/embedding/rowSums.ts loads it; scripts/build-wasm.mjs assembles it into
;; rowSumsWasm.ts). The table of float32 rows starts at byte 0 of the shared memory.
;;
;; addWeightedRows(rows, weights, count, dimension, out):
;;   for i in 0..count, for d in 0..dimension:
;;     out[d] = out[d] + float64(table[rows[i] + d]) * weights[i]
;; `rows` holds each row's first element index (Int32), `weights` float64, `out`
;; float64 accumulators that the caller zeroes. Each dimension adds the rows in the
;; order given, one float64 multiply and one add per row (no fused multiply-add), so
;; every sum is bit for bit the one a scalar loop in JavaScript computes. Rows are
;; streamed whole, two at a time: the table is 32 MB and a text's rows are scattered
;; in it, so reading each row front to back lets the hardware prefetch the next lines.
;; `dimension` must be a multiple of 4 (16-byte loads of 4 floats).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "addWeightedRows")
    (param $rows i32) (param $weights i32) (param $count i32) (param $dimension i32) (param $out i32)
    (local $i i32) (local $end i32) (local $p i32) (local $q i32) (local $acc i32)
    (local $w0 v128) (local $w1 v128) (local $x v128) (local $y v128) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $dimension) (i32.const 2)))
    ;; Two rows a pass: acc = (acc + a·w0) + b·w1, the same order as one row at a time.
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $count)))
        (local.set $p (i32.shl (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
        (local.set $q (i32.shl (i32.load offset=4 (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
        (local.set $w0 (f64x2.splat (f64.load (i32.add (local.get $weights) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $w1 (f64x2.splat (f64.load offset=8 (i32.add (local.get $weights) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $acc (local.get $out))
        (local.set $end (i32.add (local.get $p) (local.get $bytes)))
        (block $dimsDone
          (loop $dims
            (br_if $dimsDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $x (v128.load (local.get $p)))
            (local.set $y (v128.load (local.get $q)))
            (v128.store (local.get $acc)
              (f64x2.add
                (f64x2.add (v128.load (local.get $acc)) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (local.get $w0)))
                (f64x2.mul (f64x2.promote_low_f32x4 (local.get $y)) (local.get $w1))))
            (v128.store offset=16 (local.get $acc)
              (f64x2.add
                (f64x2.add (v128.load offset=16 (local.get $acc))
                  (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))) (local.get $w0)))
                (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y))) (local.get $w1))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
            (br $dims)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    ;; The last row of an odd count.
    (if (i32.lt_u (local.get $i) (local.get $count))
      (then
        (local.set $p (i32.shl (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
        (local.set $w0 (f64x2.splat (f64.load (i32.add (local.get $weights) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $acc (local.get $out))
        (local.set $end (i32.add (local.get $p) (local.get $bytes)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $x (v128.load (local.get $p)))
            (v128.store (local.get $acc)
              (f64x2.add (v128.load (local.get $acc)) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (local.get $w0))))
            (v128.store offset=16 (local.get $acc)
              (f64x2.add (v128.load offset=16 (local.get $acc))
                (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))) (local.get $w0))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
            (br $tail))))))
)
