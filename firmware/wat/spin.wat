;; A guest that never ends: it counts forever. Used by the `timeslice` image to show that
;; fuel keeps such a guest from starving the others that share the core.
(module
  (global $count (export "count") (mut i64) (i64.const 0))
  (func (export "spin")
    (loop $forever
      (global.set $count (i64.add (global.get $count) (i64.const 1)))
      (br $forever))))
