;; Batch traversal of a flat forest, for many rows at once (see batchPredict.ts, which lays out
;; memory and keeps a plain-TypeScript twin of this loop for single rows and explanations).
;;
;; Why WebAssembly: each step down a tree is a dependent chain of loads (node -> feature ->
;; value -> compare -> child). V8 runs one such chain at a time whatever the JavaScript layout;
;; here eight rows walk the same tree in lockstep, so the core overlaps eight chains (four
;; gave ~20% fewer rows a second; six, ten, twelve and sixteen were slower too).
;;
;; Node record, 32 bytes: threshold f64 @0, leaf value f64 @8, feature byte offset i32 @16,
;; left child address i32 @20, right child address i32 @24. A leaf has threshold +inf and both
;; children pointing at itself: a row that has reached its leaf stays there while the other rows
;; of its group keep walking, and a step in which no row moves ends the tree.
;;
;; Results are bit-identical to predictRaw in predict.ts: same comparison (value <= threshold
;; goes left), the same NaN rule (replaced by the column's imputation value first) and the
;; leaf values summed tree by tree in the same order, then divided by the number of trees.
(module
  (memory (export "memory") 1)

  ;; NaN -> the column's imputation value, in place (the rows are the kernel's own copy).
  (func $impute (param $rows i32) (param $n i32) (param $d i32) (param $imp i32)
    (local $p i32) (local $end i32) (local $f i32) (local $stride i32) (local $v f64)
    (local.set $stride (i32.shl (local.get $d) (i32.const 3)))
    (local.set $p (local.get $rows))
    (local.set $end (i32.add (local.get $rows) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (i32.const 0))
        (loop $col
          (local.set $v (f64.load (local.get $p)))
          (if (f64.ne (local.get $v) (local.get $v))
            (then (f64.store (local.get $p) (f64.load (i32.add (local.get $imp) (local.get $f))))))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (br_if $col (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 8))) (local.get $stride))))
        (br $row))))

  ;; out[i] = mean over trees of the leaf value reached by row i, for n rows of d f64 values.
  ;; roots: one i32 node address per tree. trees >= 1, d >= 1.
  (func (export "predict") (param $rows i32) (param $n i32) (param $d i32) (param $roots i32)
        (param $trees i32) (param $imp i32) (param $out i32)
    (local $stride i32) (local $i i32) (local $t i32) (local $end i32)
    (local $ra i32) (local $rb i32) (local $rc i32) (local $re i32) (local $rg i32) (local $rh i32) (local $rj i32) (local $rl i32)
    (local $a i32) (local $b i32) (local $c i32) (local $e i32) (local $g i32) (local $h i32) (local $j i32) (local $l i32)
    (local $a2 i32) (local $b2 i32) (local $c2 i32) (local $e2 i32) (local $g2 i32) (local $h2 i32) (local $j2 i32) (local $l2 i32)
    (local $sa f64) (local $sb f64) (local $sc f64) (local $se f64) (local $sg f64) (local $sh f64) (local $sj f64) (local $sl f64) (local $k f64)
    (call $impute (local.get $rows) (local.get $n) (local.get $d) (local.get $imp))
    (local.set $stride (i32.shl (local.get $d) (i32.const 3)))
    (local.set $k (f64.convert_i32_u (local.get $trees)))
    (local.set $end (i32.add (local.get $roots) (i32.shl (local.get $trees) (i32.const 2))))
    (local.set $i (i32.const 0))
    ;; eight rows at a time
    (block $quads_done
      (loop $quad
        (br_if $quads_done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        (local.set $ra (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $rb (i32.add (local.get $ra) (local.get $stride)))
        (local.set $rc (i32.add (local.get $rb) (local.get $stride)))
        (local.set $re (i32.add (local.get $rc) (local.get $stride)))
        (local.set $rg (i32.add (local.get $re) (local.get $stride)))
        (local.set $rh (i32.add (local.get $rg) (local.get $stride)))
        (local.set $rj (i32.add (local.get $rh) (local.get $stride)))
        (local.set $rl (i32.add (local.get $rj) (local.get $stride)))
        (local.set $sa (f64.const 0)) (local.set $sb (f64.const 0)) (local.set $sc (f64.const 0)) (local.set $se (f64.const 0)) (local.set $sg (f64.const 0)) (local.set $sh (f64.const 0)) (local.set $sj (f64.const 0)) (local.set $sl (f64.const 0))
        (local.set $t (local.get $roots))
        (loop $tree
          (local.set $a (i32.load (local.get $t)))
          (local.set $b (local.get $a)) (local.set $c (local.get $a)) (local.set $e (local.get $a)) (local.set $g (local.get $a)) (local.set $h (local.get $a)) (local.set $j (local.get $a)) (local.set $l (local.get $a))
          (loop $step
            (local.set $a2 (select (i32.load offset=20 (local.get $a)) (i32.load offset=24 (local.get $a))
              (f64.le (f64.load (i32.add (local.get $ra) (i32.load offset=16 (local.get $a)))) (f64.load (local.get $a)))))
            (local.set $b2 (select (i32.load offset=20 (local.get $b)) (i32.load offset=24 (local.get $b))
              (f64.le (f64.load (i32.add (local.get $rb) (i32.load offset=16 (local.get $b)))) (f64.load (local.get $b)))))
            (local.set $c2 (select (i32.load offset=20 (local.get $c)) (i32.load offset=24 (local.get $c))
              (f64.le (f64.load (i32.add (local.get $rc) (i32.load offset=16 (local.get $c)))) (f64.load (local.get $c)))))
            (local.set $e2 (select (i32.load offset=20 (local.get $e)) (i32.load offset=24 (local.get $e))
              (f64.le (f64.load (i32.add (local.get $re) (i32.load offset=16 (local.get $e)))) (f64.load (local.get $e)))))
            (local.set $g2 (select (i32.load offset=20 (local.get $g)) (i32.load offset=24 (local.get $g))
              (f64.le (f64.load (i32.add (local.get $rg) (i32.load offset=16 (local.get $g)))) (f64.load (local.get $g)))))
            (local.set $h2 (select (i32.load offset=20 (local.get $h)) (i32.load offset=24 (local.get $h))
              (f64.le (f64.load (i32.add (local.get $rh) (i32.load offset=16 (local.get $h)))) (f64.load (local.get $h)))))
            (local.set $j2 (select (i32.load offset=20 (local.get $j)) (i32.load offset=24 (local.get $j))
              (f64.le (f64.load (i32.add (local.get $rj) (i32.load offset=16 (local.get $j)))) (f64.load (local.get $j)))))
            (local.set $l2 (select (i32.load offset=20 (local.get $l)) (i32.load offset=24 (local.get $l))
              (f64.le (f64.load (i32.add (local.get $rl) (i32.load offset=16 (local.get $l)))) (f64.load (local.get $l)))))
            (br_if $step (i32.or (i32.or (i32.or (i32.xor (local.get $a) (local.tee $a (local.get $a2))) (i32.xor (local.get $b) (local.tee $b (local.get $b2)))) (i32.or (i32.xor (local.get $c) (local.tee $c (local.get $c2))) (i32.xor (local.get $e) (local.tee $e (local.get $e2))))) (i32.or (i32.or (i32.xor (local.get $g) (local.tee $g (local.get $g2))) (i32.xor (local.get $h) (local.tee $h (local.get $h2)))) (i32.or (i32.xor (local.get $j) (local.tee $j (local.get $j2))) (i32.xor (local.get $l) (local.tee $l (local.get $l2))))))))
          (local.set $sa (f64.add (local.get $sa) (f64.load offset=8 (local.get $a))))
          (local.set $sb (f64.add (local.get $sb) (f64.load offset=8 (local.get $b))))
          (local.set $sc (f64.add (local.get $sc) (f64.load offset=8 (local.get $c))))
          (local.set $se (f64.add (local.get $se) (f64.load offset=8 (local.get $e))))
          (local.set $sg (f64.add (local.get $sg) (f64.load offset=8 (local.get $g))))
          (local.set $sh (f64.add (local.get $sh) (f64.load offset=8 (local.get $h))))
          (local.set $sj (f64.add (local.get $sj) (f64.load offset=8 (local.get $j))))
          (local.set $sl (f64.add (local.get $sl) (f64.load offset=8 (local.get $l))))
          (br_if $tree (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 4))) (local.get $end))))
        (f64.store (local.get $out) (f64.div (local.get $sa) (local.get $k)))
        (f64.store offset=8 (local.get $out) (f64.div (local.get $sb) (local.get $k)))
        (f64.store offset=16 (local.get $out) (f64.div (local.get $sc) (local.get $k)))
        (f64.store offset=24 (local.get $out) (f64.div (local.get $se) (local.get $k)))
        (f64.store offset=32 (local.get $out) (f64.div (local.get $sg) (local.get $k)))
        (f64.store offset=40 (local.get $out) (f64.div (local.get $sh) (local.get $k)))
        (f64.store offset=48 (local.get $out) (f64.div (local.get $sj) (local.get $k)))
        (f64.store offset=56 (local.get $out) (f64.div (local.get $sl) (local.get $k)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $quad)))
    ;; the last (up to seven) rows one at a time
    (block $rest_done
      (loop $one
        (br_if $rest_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $ra (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $sa (f64.const 0))
        (local.set $t (local.get $roots))
        (loop $tree1
          (local.set $a (i32.load (local.get $t)))
          (loop $step1
            (local.set $a2 (select (i32.load offset=20 (local.get $a)) (i32.load offset=24 (local.get $a))
              (f64.le (f64.load (i32.add (local.get $ra) (i32.load offset=16 (local.get $a)))) (f64.load (local.get $a)))))
            (br_if $step1 (i32.ne (local.get $a) (local.tee $a (local.get $a2)))))
          (local.set $sa (f64.add (local.get $sa) (f64.load offset=8 (local.get $a))))
          (br_if $tree1 (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 4))) (local.get $end))))
        (f64.store (local.get $out) (f64.div (local.get $sa) (local.get $k)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $one)))))
