//! The binary format (spec chapter 5): a zero-copy reader, value and type encodings, the
//! single instruction list, the section layout, and the fused opcodes of prepared modules.
//!
//! Nothing here allocates or copies: every decoded item borrows from the module bytes.

pub mod fused;
pub mod opcodes;
pub mod reader;
pub mod sections;
pub mod types;
