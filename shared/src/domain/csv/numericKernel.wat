;; The common case of numeric.ts's parseNumericCsv, in WebAssembly (see fastNumeric.ts, which
;; lays out memory and falls back to the TypeScript parser for everything else).
;;
;; Why: the batch transform's container spends as long reading its CSV mini-batches as walking
;; the forest; this loop reads the same bytes at several times the speed of the TypeScript one.
;;
;; It accepts exactly what parseNumericCsv reads the same way with its fast arithmetic: fields of
;; [+-] digits [. digits] [e|E [+-] digits] with at most 15 significant digits and a decimal
;; exponent within 22, or empty (NaN); spaces and tabs around fields; records ending in LF,
;; CRLF or CR; blank lines skipped. The value is the same single correctly rounded operation,
;; mantissa times or divided by an exact power of ten, so the doubles are bit-identical.
;; Anything else (quotes, missing markers, longer mantissas, a wrong field count, an error)
;; returns -1 and the caller parses the whole body in TypeScript, which also names the error.
;; More rows than `cap` returns -2.
;;
;; Memory: the powers of ten 10^0..10^22 as f64 at 0; the input at `src`, followed by one LF
;; the caller writes at src + n (so no byte is read past the input); the rows at `out`.
(module
  (memory (export "memory") 1)

  (func (export "parse") (param $src i32) (param $n i32) (param $cols i32) (param $out i32)
        (param $cap i32) (result i32)
    (local $pos i32) (local $end i32) (local $k i32) (local $c i32) (local $d i32)
    (local $rows i32) (local $field i32) (local $o i32)
    (local $mant i64) (local $exp i32) (local $neg i32) (local $any i32)
    (local $ev i32) (local $eneg i32) (local $e0 i32) (local $v f64)
    (local.set $pos (local.get $src))
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (local.set $o (local.get $out))
    (block $done
      (loop $record
        (br_if $done (i32.ge_u (local.get $pos) (local.get $end)))
        ;; A blank or whitespace-only line is skipped.
        (local.set $k (local.get $pos))
        (block $text
          (loop $lead
            (local.set $c (i32.load8_u (local.get $k)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
              (then (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $lead)))
            (if (i32.eq (local.get $c) (i32.const 10))
              (then (local.set $pos (i32.add (local.get $k) (i32.const 1))) (br $record)))
            (if (i32.eq (local.get $c) (i32.const 13))
              (then
                (local.set $pos
                  (i32.add (local.get $k)
                    (select (i32.const 2) (i32.const 1)
                      (i32.eq (i32.load8_u offset=1 (local.get $k)) (i32.const 10)))))
                (br $record)))))
        (if (i32.ge_u (local.get $rows) (local.get $cap)) (then (return (i32.const -2))))
        (local.set $field (i32.const 0))
        (loop $fields
          (if (i32.ge_u (local.get $field) (local.get $cols)) (then (return (i32.const -1))))
          ;; blanks before the field
          (loop $blank
            (local.set $c (i32.load8_u (local.get $k)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
              (then (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $blank))))
          (if (i32.or (i32.eq (local.get $c) (i32.const 44))
                (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13))))
            (then (local.set $v (f64.const nan)))
            (else
              (local.set $neg (i32.const 0))
              (if (i32.eq (local.get $c) (i32.const 45))
                (then (local.set $neg (i32.const 1)) (local.set $k (i32.add (local.get $k) (i32.const 1))))
                (else (if (i32.eq (local.get $c) (i32.const 43))
                  (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))))
              (local.set $mant (i64.const 0))
              (local.set $exp (i32.const 0))
              (local.set $e0 (local.get $k))
              ;; integer digits; a 16th significant digit (the mantissa already at 10^14 or
              ;; more) is parseNumericCsv's slow path
              (block $int_done
                (loop $int
                  (local.set $d (i32.sub (i32.load8_u (local.get $k)) (i32.const 48)))
                  (br_if $int_done (i32.gt_u (local.get $d) (i32.const 9)))
                  (if (i64.ge_u (local.get $mant) (i64.const 100000000000000))
                    (then (return (i32.const -1))))
                  (local.set $mant (i64.add (i64.mul (local.get $mant) (i64.const 10))
                                            (i64.extend_i32_u (local.get $d))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $int)))
              (local.set $any (i32.ne (local.get $k) (local.get $e0)))
              ;; fraction digits, each one a power of ten down
              (if (i32.eq (i32.load8_u (local.get $k)) (i32.const 46))
                (then
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (local.set $e0 (local.get $k))
                  (block $frac_done
                    (loop $frac
                      (local.set $d (i32.sub (i32.load8_u (local.get $k)) (i32.const 48)))
                      (br_if $frac_done (i32.gt_u (local.get $d) (i32.const 9)))
                      (if (i64.ge_u (local.get $mant) (i64.const 100000000000000))
                        (then (return (i32.const -1))))
                      (local.set $mant (i64.add (i64.mul (local.get $mant) (i64.const 10))
                                                (i64.extend_i32_u (local.get $d))))
                      (local.set $k (i32.add (local.get $k) (i32.const 1)))
                      (br $frac)))
                  (local.set $exp (i32.sub (local.get $e0) (local.get $k)))
                  (local.set $any (i32.or (local.get $any) (i32.ne (local.get $k) (local.get $e0))))))
              (if (i32.eqz (local.get $any)) (then (return (i32.const -1))))
              ;; exponent
              (local.set $c (i32.load8_u (local.get $k)))
              (if (i32.or (i32.eq (local.get $c) (i32.const 101)) (i32.eq (local.get $c) (i32.const 69)))
                (then
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (local.set $c (i32.load8_u (local.get $k)))
                  (local.set $eneg (i32.eq (local.get $c) (i32.const 45)))
                  (if (i32.or (local.get $eneg) (i32.eq (local.get $c) (i32.const 43)))
                    (then (local.set $k (i32.add (local.get $k) (i32.const 1)))))
                  (local.set $ev (i32.const 0))
                  (local.set $e0 (local.get $k))
                  (block $exp_done
                    (loop $expd
                      (local.set $d (i32.sub (i32.load8_u (local.get $k)) (i32.const 48)))
                      (br_if $exp_done (i32.gt_u (local.get $d) (i32.const 9)))
                      (if (i32.lt_u (local.get $ev) (i32.const 100000))
                        (then (local.set $ev (i32.add (i32.mul (local.get $ev) (i32.const 10))
                                                      (local.get $d)))))
                      (local.set $k (i32.add (local.get $k) (i32.const 1)))
                      (br $expd)))
                  (if (i32.eq (local.get $k) (local.get $e0)) (then (return (i32.const -1))))
                  (local.set $exp
                    (select (i32.sub (local.get $exp) (local.get $ev))
                            (i32.add (local.get $exp) (local.get $ev))
                            (local.get $eneg)))))
              (if (i32.or (i32.gt_s (local.get $exp) (i32.const 22))
                          (i32.lt_s (local.get $exp) (i32.const -22)))
                (then (return (i32.const -1))))
              (local.set $v (f64.convert_i64_s (local.get $mant)))
              (if (i32.gt_s (local.get $exp) (i32.const 0))
                (then (local.set $v (f64.mul (local.get $v)
                  (f64.load (i32.shl (local.get $exp) (i32.const 3)))))))
              (if (i32.lt_s (local.get $exp) (i32.const 0))
                (then (local.set $v (f64.div (local.get $v)
                  (f64.load (i32.shl (i32.sub (i32.const 0) (local.get $exp)) (i32.const 3)))))))
              (if (local.get $neg) (then (local.set $v (f64.neg (local.get $v)))))
              ;; blanks after the number, then the field must end
              (loop $trail
                (local.set $c (i32.load8_u (local.get $k)))
                (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
                  (then (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $trail))))
              (if (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 44))
                    (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13)))))
                (then (return (i32.const -1))))))
          (f64.store (local.get $o) (local.get $v))
          (local.set $o (i32.add (local.get $o) (i32.const 8)))
          (local.set $field (i32.add (local.get $field) (i32.const 1)))
          ;; $c is the byte that ended the field: a comma starts the next one
          (if (i32.eq (local.get $c) (i32.const 44))
            (then (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $fields))))
        (if (i32.ne (local.get $field) (local.get $cols)) (then (return (i32.const -1))))
        (local.set $rows (i32.add (local.get $rows) (i32.const 1)))
        ;; $k is at the record's LF or CR (or the LF after the input)
        (local.set $pos
          (i32.add (local.get $k)
            (select (i32.const 2) (i32.const 1)
              (i32.and (i32.eq (local.get $c) (i32.const 13))
                       (i32.eq (i32.load8_u offset=1 (local.get $k)) (i32.const 10))))))
        (br $record)))
    (local.get $rows)))
