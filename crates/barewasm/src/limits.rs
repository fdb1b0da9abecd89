//! Limits the host sets, with documented defaults.
//!
//! They bound the scratch validation needs and the stack execution needs, so the memory
//! plan can size every buffer before anything runs.

/// Resource limits for validation and execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest block nesting accepted in a function body, the body itself counting as one
    /// (default 1024). Each level costs 16 bytes of validation scratch.
    pub max_nesting: u32,
    /// Most value slots one function may need: its locals (parameters included) plus its
    /// highest operand-stack height (default 4096). Each costs 1 byte of validation scratch.
    pub max_function_slots: u32,
    /// Value-stack slots (8 bytes each) for locals and operands of all active calls
    /// (default 4096 = 32 KiB).
    pub value_stack_slots: u32,
    /// Deepest chain of active wasm calls (default 512).
    pub max_call_depth: u32,
}

impl Limits {
    /// The defaults documented on each field.
    pub const DEFAULT: Limits = Limits {
        max_nesting: 1024,
        max_function_slots: 4096,
        value_stack_slots: 4096,
        max_call_depth: 512,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
