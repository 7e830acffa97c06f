;; The bag-of-words model's arithmetic in WebAssembly (engine/embedding/bagOfWordsKernel.ts
;; loads it; scripts/build-wasm.mjs assembles it into bagOfWordsKernelWasm.ts). The table of
;; float32 rows starts at byte 0 of the shared memory; the token and position weights follow it.
;; Every operation is the one the script path in bagOfWords.ts does, in the same order, so the
;; results are bit for bit the same.
;;
;; gatherRowWeights(ids, count, tokenWeights, positionWeights, vocab, dimension, idWeight, idSeen,
;;                  distinct, rows, weights, totals) -> used
;;   Sums each distinct id's weight (float32 token weight times float32 position weight, rounded
;;   to float32, then added in float64) and the total, and writes the ids whose weight is not
;;   zero as rows (`id * dimension`) and float64 weights, in first-seen order. Returns how many,
;;   and stores the total (float64) at `totals` and the distinct count (int32) at `totals + 8`.
;;   `positionWeights` 0 means none. `idWeight` (float64 per id) and `idSeen` (a byte per id) are
;;   zero between calls and left so. An id outside [0, vocab) returns -1 - its position.
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
;;
;; finishVector(sums, dimension, denominator, epsilon, keep, renormalize, out):
;;   The graph's tail and the embedder's finish, as bagOfWords.ts and pooling.ts do them in script:
;;     mean[d] = f32(f32(sums[d]) / denominator), squares = Σ float64(mean[d])² in dimension order,
;;     norm = f32(f32(sqrt(f32(squares))) + epsilon), out[d] = f32(mean[d] / norm);
;;   then, when `renormalize` is set, the first `keep` values divided by their float64 L2 length
;;   (`finalizeVector`). Each float32 division, square root and addition of float32 operands done
;;   in float64 and rounded once gives the float32 operation's result, so these are the script's
;;   values bit for bit. `out` holds float32 values.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "gatherRowWeights")
    (param $ids i32) (param $count i32) (param $tokenWeights i32) (param $positionWeights i32)
    (param $vocab i32) (param $dimension i32) (param $idWeight i32) (param $idSeen i32)
    (param $distinct i32) (param $rows i32) (param $weights i32) (param $totals i32)
    (result i32)
    (local $p i32) (local $id i32) (local $w f32) (local $n i32) (local $used i32) (local $total f64)
    (local $at i32) (local $i i32) (local $sum f64)
    (block $gathered
      (loop $positions
        (br_if $gathered (i32.ge_u (local.get $p) (local.get $count)))
        (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $p) (i32.const 2)))))
        (if (i32.ge_u (local.get $id) (local.get $vocab))
          (then
            ;; Leave the per-id scratch as it was found before reporting the position.
            (local.set $i (i32.const 0))
            (block $cleared
              (loop $clear
                (br_if $cleared (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $id (i32.load (i32.add (local.get $distinct) (i32.shl (local.get $i) (i32.const 2)))))
                (f64.store (i32.add (local.get $idWeight) (i32.shl (local.get $id) (i32.const 3))) (f64.const 0))
                (i32.store8 (i32.add (local.get $idSeen) (local.get $id)) (i32.const 0))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $clear)))
            (return (i32.sub (i32.const -1) (local.get $p)))))
        (local.set $w (f32.load (i32.add (local.get $tokenWeights) (i32.shl (local.get $id) (i32.const 2)))))
        ;; fround(a * b) of two float32 values: their float64 product is exact, so one float32 rounding.
        (if (local.get $positionWeights)
          (then (local.set $w (f32.mul (local.get $w) (f32.load (i32.add (local.get $positionWeights) (i32.shl (local.get $p) (i32.const 2))))))))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $idSeen) (local.get $id))))
          (then
            (i32.store8 (i32.add (local.get $idSeen) (local.get $id)) (i32.const 1))
            (i32.store (i32.add (local.get $distinct) (i32.shl (local.get $n) (i32.const 2))) (local.get $id))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $at (i32.add (local.get $idWeight) (i32.shl (local.get $id) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.promote_f32 (local.get $w))))
        (local.set $total (f64.add (local.get $total) (f64.promote_f32 (local.get $w))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $positions)))
    ;; Ids whose weights sum to zero add nothing (and are skipped: a zero weight times a table value could be -0).
    (block $listed
      (loop $list
        (br_if $listed (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $id (i32.load (i32.add (local.get $distinct) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $at (i32.add (local.get $idWeight) (i32.shl (local.get $id) (i32.const 3))))
        (local.set $sum (f64.load (local.get $at)))
        (f64.store (local.get $at) (f64.const 0))
        (i32.store8 (i32.add (local.get $idSeen) (local.get $id)) (i32.const 0))
        (if (f64.ne (local.get $sum) (f64.const 0))
          (then
            (i32.store (i32.add (local.get $rows) (i32.shl (local.get $used) (i32.const 2))) (i32.mul (local.get $id) (local.get $dimension)))
            (f64.store (i32.add (local.get $weights) (i32.shl (local.get $used) (i32.const 3))) (local.get $sum))
            (local.set $used (i32.add (local.get $used) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $list)))
    (f64.store (local.get $totals) (local.get $total))
    (i32.store offset=8 (local.get $totals) (local.get $n))
    (local.get $used))
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
  (func (export "finishVector")
    (param $sums i32) (param $dimension i32) (param $denominator f32) (param $epsilon f32)
    (param $keep i32) (param $renormalize i32) (param $out i32)
    (local $d i32) (local $value f32) (local $squares f64) (local $norm f32) (local $length f64) (local $x f64)
    (block $meanDone
      (loop $mean
        (br_if $meanDone (i32.ge_u (local.get $d) (local.get $dimension)))
        (local.set $value (f32.div (f32.demote_f64 (f64.load (i32.add (local.get $sums) (i32.shl (local.get $d) (i32.const 3))))) (local.get $denominator)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) (local.get $value))
        (local.set $squares (f64.add (local.get $squares) (f64.mul (f64.promote_f32 (local.get $value)) (f64.promote_f32 (local.get $value)))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $mean)))
    (local.set $norm (f32.add (f32.sqrt (f32.demote_f64 (local.get $squares))) (local.get $epsilon)))
    (local.set $d (i32.const 0))
    (block $scaledDone
      (loop $scaled
        (br_if $scaledDone (i32.ge_u (local.get $d) (local.get $dimension)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2)))
          (f32.div (f32.load (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2)))) (local.get $norm)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $scaled)))
    (if (i32.eqz (local.get $renormalize)) (then (return)))
    (local.set $d (i32.const 0))
    (block $lengthDone
      (loop $lengthOf
        (br_if $lengthDone (i32.ge_u (local.get $d) (local.get $keep)))
        (local.set $x (f64.promote_f32 (f32.load (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))))))
        (local.set $length (f64.add (local.get $length) (f64.mul (local.get $x) (local.get $x))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $lengthOf)))
    (local.set $length (f64.sqrt (local.get $length)))
    (if (i32.eqz (f64.gt (local.get $length) (f64.const 0))) (then (return)))
    (local.set $d (i32.const 0))
    (block $unitDone
      (loop $unit
        (br_if $unitDone (i32.ge_u (local.get $d) (local.get $keep)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2)))
          (f32.demote_f64 (f64.div (f64.promote_f32 (f32.load (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))))) (local.get $length))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $unit))))
)
