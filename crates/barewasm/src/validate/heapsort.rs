//! An in-place heapsort for the validator's two sorts (type canonicalisation, duplicate
//! export names).
//!
//! `core`'s `sort_unstable_by` would do, but it costs about 1.5 KiB of flash per use on a
//! Cortex-M4; heapsort is a few hundred bytes, needs no recursion and no extra memory, and
//! is O(n log n) in the worst case, which matters for hostile modules.

use core::cmp::Ordering;

/// Sorts `v` by `cmp` (not stable). `cmp` is called through a `dyn` reference so that the
/// two sorts share one copy of the code (200 B at "z"; a call per comparison costs little
/// next to decoding the types or names compared).
pub(crate) fn heapsort(v: &mut [u64], cmp: &mut dyn FnMut(u64, u64) -> Ordering) {
    let n = v.len();
    // Build a max-heap, then repeatedly move the maximum to the end.
    for start in (0..n / 2).rev() {
        sift_down(v, start, n, cmp);
    }
    for end in (1..n).rev() {
        // `v.swap(0, end)`, spelt so that no bounds check stays at opt-level "z".
        if let Some([first, .., last]) = v.get_mut(..=end) {
            core::mem::swap(first, last);
        }
        sift_down(v, 0, end, cmp);
    }
}

/// Restores the heap property below `root`, within `v[..end]`.
fn sift_down(
    v: &mut [u64],
    mut root: usize,
    end: usize,
    cmp: &mut dyn FnMut(u64, u64) -> Ordering,
) {
    // Reads through `get`: no index can panic, whatever `end` is.
    let v = v.get_mut(..end).unwrap_or_default();
    loop {
        let mut child = 2 * root + 1;
        let Some(&left) = v.get(child) else {
            return;
        };
        let mut max = left;
        if let Some(&right) = v.get(child + 1) {
            if cmp(left, right) == Ordering::Less {
                (child, max) = (child + 1, right);
            }
        }
        let Some(&top) = v.get(root) else {
            return;
        };
        if cmp(top, max) != Ordering::Less {
            return;
        }
        // `v.swap(root, child)`, as above (`root < child`).
        if let Some((low, high)) = v.split_at_mut_checked(child) {
            if let (Some(a), Some(b)) = (low.get_mut(root), high.first_mut()) {
                core::mem::swap(a, b);
            }
        }
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::heapsort;
    use std::vec::Vec;

    #[test]
    fn sorts_like_the_standard_library() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        // 1,000 elements take most of this test's 37 s under Miri; 100 still sift deep.
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 2, 3, 7, 64, 100]
        } else {
            &[0, 1, 2, 3, 7, 64, 100, 1000]
        };
        for &len in lens {
            for modulus in [2u64, 10, u64::MAX] {
                let v: Vec<u64> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed % modulus
                    })
                    .collect();
                let (mut ours, mut std) = (v.clone(), v);
                heapsort(&mut ours, &mut |a, b| a.cmp(&b));
                std.sort_unstable();
                assert_eq!(ours, std, "len {len}, values mod {modulus}");
                // A key that ignores part of the value: sorted by that key.
                heapsort(&mut ours, &mut |a, b| (a % 3).cmp(&(b % 3)));
                assert!(ours.windows(2).all(|w| w[0] % 3 <= w[1] % 3));
            }
        }
    }
}
