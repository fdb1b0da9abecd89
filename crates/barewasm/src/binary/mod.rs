//! The binary format (spec chapter 5): a zero-copy reader, value and type encodings, the
//! single instruction list, and the section layout.
//!
//! Nothing here allocates or copies: every decoded item borrows from the module bytes.

pub mod opcodes;
pub mod reader;
pub mod sections;
pub mod types;
