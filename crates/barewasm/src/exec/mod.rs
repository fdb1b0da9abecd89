//! Execution (spec chapter 4): the store and instantiation, the value/call stack, and the
//! in-place interpreter.

pub mod host;
pub mod interp;
pub mod numeric;
mod softfloat;
pub mod stack;
pub mod store;
mod unchecked;
pub mod value;
