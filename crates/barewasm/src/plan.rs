//! The memory plan: how many bytes each host buffer needs, known before instantiating.
//!
//! Firmware sizes its `static` buffers from these figures, usually printed at build time
//! by `barewasm plan FILE`.

use crate::limits::Limits;
use crate::module::Module;

/// Bytes per value-stack slot: every value (i32, i64, f32, f64, reference) takes one.
pub const SLOT_BYTES: usize = 8;
/// Bytes per active call in the call stack.
pub const CALL_FRAME_BYTES: usize = crate::exec::stack::FRAME_SLOTS * 8;
/// Bytes of state per global.
pub const GLOBAL_BYTES: usize = 8;
/// Bytes of state per table element.
pub const TABLE_ELEM_BYTES: usize = 4;

/// How many bytes a module needs in each buffer the host provides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Total module size.
    pub module_bytes: usize,
    /// Bytes of the code section (function bodies): executed in place, never copied.
    pub code_bytes: usize,
    /// Side-table entries (8 bytes each).
    pub side_table_entries: usize,
    /// Bytes the side table takes in the state buffer.
    pub side_table_bytes: usize,
    /// State bytes the validated module takes: index tables and side table.
    pub module_state_bytes: usize,
    /// State bytes one instance takes: globals, tables at their minimum size, segment flags.
    pub instance_state_bytes: usize,
    /// State bytes in all (module plus one instance).
    pub state_bytes: usize,
    /// Scratch bytes validation needs under the limits used.
    pub scratch_bytes: usize,
    /// Whether the module defines or imports a memory.
    pub has_memory: bool,
    /// Linear-memory bytes at the declared minimum.
    pub memory_min_bytes: u64,
    /// Linear-memory bytes at the declared maximum, if any.
    pub memory_max_bytes: Option<u64>,
    /// Stack bytes (value stack and call frames) for the limits used.
    pub stack_bytes: usize,
    /// Deepest block nesting found.
    pub max_nesting: u32,
    /// Highest operand-stack height found.
    pub max_height: u32,
    /// Most locals (parameters included) of one function.
    pub max_locals: u32,
}

impl Plan {
    /// The plan for a validated module under `limits`.
    pub fn new(module: &Module<'_, '_>, limits: &Limits) -> Plan {
        let c = module.counts();
        let facts = module.facts();
        let code = module
            .sections()
            .get(crate::binary::sections::SectionId::Code);
        let tables: usize = (0..c.tables)
            .filter_map(|i| module.table_type(i))
            .map(|t| t.limits.min as usize * TABLE_ELEM_BYTES)
            .sum();
        let segment_flags = (c.elems as usize + c.datas as usize).div_ceil(32) * 4;
        let instance = c.globals as usize * GLOBAL_BYTES + tables + segment_flags;
        let memory = module.memory_type(0);
        Plan {
            module_bytes: module.bytes().len(),
            code_bytes: code.map_or(0, |r| r.len() as usize),
            side_table_entries: facts.side_entries as usize,
            side_table_bytes: facts.side_entries as usize * 8,
            module_state_bytes: module.state_bytes(),
            instance_state_bytes: instance,
            state_bytes: module.state_bytes() + instance,
            scratch_bytes: facts.scratch_bytes as usize,
            has_memory: memory.is_some(),
            memory_min_bytes: memory.map_or(0, |m| m.limits.min * m.page_size()),
            memory_max_bytes: memory.and_then(|m| m.limits.max.map(|x| x * m.page_size())),
            stack_bytes: crate::exec::stack::Stack::bytes_for(limits),
            max_nesting: facts.max_nesting,
            max_height: facts.max_height,
            max_locals: facts.max_locals,
        }
    }

    /// Side-table bytes per code-section byte.
    pub fn side_table_ratio(&self) -> f32 {
        if self.code_bytes == 0 {
            0.0
        } else {
            self.side_table_bytes as f32 / self.code_bytes as f32
        }
    }
}
