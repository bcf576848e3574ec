;; The clean-row check of prepareRows.ts's fastRows, in WebAssembly (see cleanRowsKernel.ts).
;;
;; Why: for a file whose header is record_id + the model features in order, a clean row is
;; copied to the transform input as it is, and checking that it is clean (a bare record id,
;; every measurement a plain number within its range, an integer risk score 1-10) is most of
;; a batch's preparation; this loop checks the same bytes at about twice the speed.
;;
;; `run` walks lines from `pos` while each is clean and stops at the first line that is not,
;; or that it cannot judge the way fastRows would (it then leaves that line to fastRows, which
;; decides it): it may only ever stop early, never accept a line fastRows would not pass
;; through. A line is accepted when:
;; - the id cell (before the first delimiter) is 1..maxId bytes of printable ASCII without a
;;   quote, not starting with = + - @ or a space, not ending in a space, and, when 4 bytes or
;;   shorter, not starting with ? or n/N (the missing markers ?, NA, n/a, nan, null);
;; - then nMeas + 1 cells: digits with at most one dot that is neither first nor last, 1..15
;;   digits; each measurement ends in the delimiter and its value (the mantissa divided by a
;;   power of ten, as fastRows computes it) is within [min, max] of its slot; the last cell,
;;   the risk score, ends in LF (not CR LF) and is an integer from 1 to 10.
;; It returns where it stopped; `count` holds the lines it accepted.
;;
;; Memory: the powers of ten 10^0..10^22 as f64 at 0; min and max per slot (f64) at minAt and
;; maxAt; the lines themselves, each ending in LF, in [pos, end).
(module
  (memory (export "memory") 1)
  (global $count (export "count") (mut i32) (i32.const 0))

  (func (export "run") (param $pos i32) (param $end i32) (param $nMeas i32) (param $minAt i32)
        (param $maxAt i32) (param $delim i32) (param $maxId i32) (result i32)
    (local $k i32) (local $c i32) (local $d i32) (local $len i32) (local $slot i32)
    (local $m i64) (local $digits i32) (local $frac i32) (local $fs i32) (local $v f64)
    (local $n i32)
    (block $stop
      (loop $line
        (br_if $stop (i32.ge_u (local.get $pos) (local.get $end)))
        ;; the record id
        (local.set $k (local.get $pos))
        (block $id_done
          (loop $id
            (local.set $c (i32.load8_u (local.get $k)))
            (br_if $id_done (i32.eq (local.get $c) (local.get $delim)))
            ;; a quote, a control character (LF and CR included) or a non-ASCII byte
            (br_if $stop (i32.or (i32.eq (local.get $c) (i32.const 34))
                                 (i32.or (i32.lt_u (local.get $c) (i32.const 32))
                                         (i32.ge_u (local.get $c) (i32.const 127)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $id)))
        (local.set $len (i32.sub (local.get $k) (local.get $pos)))
        (br_if $stop (i32.eqz (local.get $len)))
        (br_if $stop (i32.gt_u (local.get $len) (local.get $maxId)))
        (local.set $c (i32.load8_u (local.get $pos)))
        (br_if $stop (i32.or (i32.or (i32.eq (local.get $c) (i32.const 61))
                                     (i32.eq (local.get $c) (i32.const 43)))
                             (i32.or (i32.eq (local.get $c) (i32.const 45))
                                     (i32.eq (local.get $c) (i32.const 64)))))
        (br_if $stop (i32.eq (local.get $c) (i32.const 32)))
        (br_if $stop (i32.eq (i32.load8_u (i32.sub (local.get $k) (i32.const 1))) (i32.const 32)))
        (br_if $stop (i32.and (i32.le_u (local.get $len) (i32.const 4))
                              (i32.or (i32.eq (local.get $c) (i32.const 63))
                                      (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 110)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        ;; the measurements, then the score
        (local.set $slot (i32.const 0))
        (loop $cell
          (local.set $fs (local.get $k))
          (local.set $m (i64.const 0))
          ;; integer digits
          (block $int_done
            (loop $int
              (local.set $d (i32.sub (i32.load8_u (local.get $k)) (i32.const 48)))
              (br_if $int_done (i32.gt_u (local.get $d) (i32.const 9)))
              (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10))
                                     (i64.extend_i32_u (local.get $d))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $int)))
          ;; at least one of them (a cell starting with the dot is fastRows' to judge)
          (br_if $stop (i32.eq (local.get $k) (local.get $fs)))
          (local.set $digits (i32.sub (local.get $k) (local.get $fs)))
          (local.set $frac (i32.const 0))
          (local.set $c (i32.load8_u (local.get $k)))
          (if (i32.eq (local.get $c) (i32.const 46))
            (then
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (local.set $frac (local.get $k))
              (block $frac_done
                (loop $fracd
                  (local.set $d (i32.sub (i32.load8_u (local.get $k)) (i32.const 48)))
                  (br_if $frac_done (i32.gt_u (local.get $d) (i32.const 9)))
                  (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10))
                                         (i64.extend_i32_u (local.get $d))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $fracd)))
              ;; fraction digits: at least one (`12.` is fastRows' to judge)
              (local.set $frac (i32.sub (local.get $k) (local.get $frac)))
              (br_if $stop (i32.eqz (local.get $frac)))
              (local.set $digits (i32.add (local.get $digits) (local.get $frac)))
              (local.set $c (i32.load8_u (local.get $k)))))
          (br_if $stop (i32.gt_u (local.get $digits) (i32.const 15)))
          (local.set $v (f64.convert_i64_u (local.get $m)))
          (if (i32.gt_s (local.get $frac) (i32.const 0))
            (then (local.set $v (f64.div (local.get $v)
                    (f64.load (i32.shl (local.get $frac) (i32.const 3)))))))
          (if (i32.lt_u (local.get $slot) (local.get $nMeas))
            (then
              (br_if $stop (i32.ne (local.get $c) (local.get $delim)))
              (br_if $stop (i32.eqz (f64.ge (local.get $v)
                (f64.load (i32.add (local.get $minAt) (i32.shl (local.get $slot) (i32.const 3)))))))
              (br_if $stop (i32.eqz (f64.le (local.get $v)
                (f64.load (i32.add (local.get $maxAt) (i32.shl (local.get $slot) (i32.const 3)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
              (br $cell)))
          ;; the score: the line's last cell
          (br_if $stop (i32.ne (local.get $c) (i32.const 10)))
          (br_if $stop (i32.eqz (f64.ge (local.get $v) (f64.const 1))))
          (br_if $stop (i32.eqz (f64.le (local.get $v) (f64.const 10))))
          (br_if $stop (f64.ne (local.get $v) (f64.floor (local.get $v)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $pos (i32.add (local.get $k) (i32.const 1)))
        (br $line)))
    (global.set $count (local.get $n))
    (local.get $pos)))
