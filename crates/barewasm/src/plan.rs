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

/// How many bytes a module needs in each buffer the host provides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Total module size.
    pub module_bytes: usize,
    /// Bytes of the code section (function bodies): executed in place, never copied.
    pub code_bytes: usize,
    /// Side-table entries (4 bytes each).
    pub side_table_entries: usize,
    /// Wide side-table entries (8 bytes each, beside the entries that refer to them).
    pub side_table_wide_entries: usize,
    /// Bytes the side table takes in the state buffer (0 for a prepared module).
    pub side_table_bytes: usize,
    /// Whether the side table is precomputed in the module (`barewasm prepare`): it is
    /// then read from the module's bytes (flash) and takes no state.
    pub side_table_prepared: bool,
    /// State bytes the validated module takes: index tables and side table.
    pub module_state_bytes: usize,
    /// State bytes one instance takes in the store's arena: import map, globals, tables at
    /// their declared size (no growth reserve), segment flags.
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
        let facts = module.facts();
        let code = module
            .sections()
            .get(crate::binary::sections::SectionId::Code);
        let instance = crate::exec::store::Store::instance_arena_bytes(module, 0);
        let memory = module.memory_type(0);
        Plan {
            module_bytes: module.bytes().len(),
            code_bytes: code.map_or(0, |r| r.len() as usize),
            side_table_entries: facts.side_entries as usize,
            side_table_wide_entries: facts.side_wide_entries as usize,
            side_table_bytes: if module.is_prepared() {
                0
            } else {
                (facts.side_entries as usize).div_ceil(2) * 8 + facts.side_wide_entries as usize * 8
            },
            side_table_prepared: module.is_prepared(),
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

    /// Side-table bytes in the state buffer per code-section byte.
    pub fn side_table_ratio(&self) -> f32 {
        if self.code_bytes == 0 {
            0.0
        } else {
            self.side_table_bytes as f32 / self.code_bytes as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InstanceSlot, Store};
    use std::vec;

    #[test]
    fn instance_figure_is_what_the_store_allocates() {
        let wat = r#"(module
            (import "m" "f" (func))
            (import "m" "g" (global i32))
            (global (mut i64) (i64.const 1)) (global f32 (f32.const 2))
            (table 3 10 funcref) (table 2 externref)
            (memory 1)
            (elem (i32.const 0) func 0) (data "x") (data "y")
            (func (export "h") (block (br 0))))"#;
        let bytes = wat::parse_str(wat).unwrap();
        let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
        let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &Limits::DEFAULT).unwrap();
        let plan = Plan::new(&module, &Limits::DEFAULT);
        let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
        let mut arena = vec![0u64; 1024];
        let mut store = Store::new(&mut slots, bytemuck::cast_slice_mut(&mut arena));
        let g = store
            .define_global(
                crate::GlobalType {
                    ty: crate::ValType::I32,
                    mutable: false,
                },
                crate::Value::I32(5),
            )
            .unwrap();
        let before = store.arena_used();
        let mut memory = vec![0u8; 65536];
        let host = crate::Extern::HostFunc(0, crate::FuncType::EMPTY);
        store
            .instantiate(&module, Some(&mut memory), &mut |_, name, _| {
                Some(if name == "f" { host } else { g })
            })
            .unwrap();
        assert_eq!(store.arena_used() - before, plan.instance_state_bytes);
        // 1 import-map word, 3 global addresses, 2 table addresses, 1 flag word, 2 global
        // cells of 2 words, tables of 4 + 3 and 4 + 2 words.
        assert_eq!(plan.instance_state_bytes, (1 + 3 + 2 + 1 + 4 + 7 + 6) * 8);
        assert_eq!(
            plan.state_bytes,
            plan.module_state_bytes + plan.instance_state_bytes
        );
        assert_eq!(plan.stack_bytes, crate::Stack::bytes_for(&Limits::DEFAULT));
        assert_eq!(plan.side_table_entries, 1);
    }
}
