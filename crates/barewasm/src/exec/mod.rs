//! Execution (spec chapter 4).

pub mod numeric;
