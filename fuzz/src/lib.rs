//! Shared code of barewasm's fuzz targets.
//!
//! Each target in `fuzz_targets/` is a one-line wrapper around a function of [`targets`], so
//! the same bodies can replay the seed corpus in an ordinary `cargo test` (no libFuzzer)
//! and findings can be reproduced in a debugger.
//!
//! - [`bare`]: running modules on barewasm with buffers sized from its own figures;
//! - [`oracle`]: the same on wasmi, the reference for the differential target;
//! - [`legacy`]: the same on wasmi 0.31, the tie-breaker when barewasm and wasmi 2 disagree;
//! - [`obs`]: what a run observed (results, traps, final memory), compared NaN-aware;
//! - [`smith`]: wasm-smith configurations restricted to what barewasm supports.

pub mod bare;
pub mod legacy;
pub mod obs;
pub mod oracle;
pub mod smith;
pub mod targets;
