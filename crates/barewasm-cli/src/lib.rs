//! The `barewasm` command-line tool's library: loading modules, the memory-plan report,
//! preparing modules (side table precomputed) and the spec-script runner, shared by the
//! binary and the tests.

pub mod load;
pub mod prepare;
pub mod report;
pub mod run;
pub mod wast;
