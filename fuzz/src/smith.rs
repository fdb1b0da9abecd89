//! wasm-smith configurations: what barewasm supports, and the knobs each target needs.

use arbitrary::{Result, Unstructured};
use wasm_smith::Config;
use wasmparser::WasmFeatures;

/// The features barewasm implements: WebAssembly 2.0 without SIMD, plus custom page sizes.
pub fn barewasm_features() -> WasmFeatures {
    (WasmFeatures::WASM2 | WasmFeatures::CUSTOM_PAGE_SIZES) - WasmFeatures::SIMD
}

/// Turns off everything barewasm does not implement. Leaves the 2.0 features (reference
/// types, bulk memory, multi-value, ...) as chosen, so modules without them occur too.
pub fn restrict(c: &mut Config) {
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.tail_call_enabled = false;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.custom_descriptors_enabled = false;
    c.multibyte_array_access_enabled = false;
    c.memory64_enabled = false;
    c.extended_const_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.compact_imports_enabled = false;
    c.max_memories = c.max_memories.min(1);
    if !c.reference_types_enabled {
        c.max_tables = c.max_tables.min(1);
    }
    // Keep modules small enough for many executions per second.
    c.max_types = c.max_types.min(50);
    c.max_funcs = c.max_funcs.min(50);
    c.max_imports = c.max_imports.min(20);
    c.max_globals = c.max_globals.min(50);
    c.max_exports = c.max_exports.min(50);
    c.max_element_segments = c.max_element_segments.min(20);
    c.max_elements = c.max_elements.min(50);
    c.max_data_segments = c.max_data_segments.min(20);
    c.max_instructions = c.max_instructions.min(300);
    c.max_tables = c.max_tables.min(5);
}

/// A configuration for the validation oracle: usually restricted to barewasm's features,
/// sometimes with one unsupported proposal on (such modules must be rejected by both
/// validators), sometimes with invalid function bodies.
pub fn oracle_config(u: &mut Unstructured<'_>) -> Result<Config> {
    let mut c: Config = u.arbitrary()?;
    restrict(&mut c);
    c.custom_page_sizes_enabled = u.arbitrary()?;
    c.generate_custom_sections = u.arbitrary()?;
    c.allow_invalid_funcs = u.ratio(1, 8)?;
    if u.ratio(1, 8)? {
        match u.int_in_range(0..=7)? {
            0 => c.simd_enabled = true,
            1 => c.tail_call_enabled = true,
            2 => c.memory64_enabled = true,
            3 => c.max_memories = 2,
            4 => c.extended_const_enabled = true,
            5 => {
                c.reference_types_enabled = true;
                c.exceptions_enabled = true;
            }
            6 => c.threads_enabled = true,
            _ => {
                c.reference_types_enabled = true;
                c.gc_enabled = true;
            }
        }
    }
    Ok(c)
}

/// Linear memory the execution targets give a module: 16 pages of 64 KiB.
pub const MEMORY_CAP: usize = 16 << 16;

/// A configuration for the execution targets: barewasm's features, memories and tables
/// small enough to run quickly.
pub fn exec_config(u: &mut Unstructured<'_>) -> Result<Config> {
    let mut c: Config = u.arbitrary()?;
    restrict(&mut c);
    c.custom_page_sizes_enabled = u.arbitrary()?;
    c.max_memory32_bytes = c.max_memory32_bytes.min(MEMORY_CAP as u64);
    c.max_table_elements = c.max_table_elements.min(1000);
    c.allow_invalid_funcs = false;
    Ok(c)
}

/// The differential target's configuration: no imports, everything exported (so wasmi
/// can read the memory and globals), NaNs canonicalised (their payloads are
/// nondeterministic in the spec), tables with a declared maximum (so both runtimes grow
/// them to the same point).
pub fn differential_config(u: &mut Unstructured<'_>) -> Result<Config> {
    let mut c = exec_config(u)?;
    c.max_imports = 0;
    c.export_everything = true;
    c.canonicalize_nans = true;
    c.table_max_size_required = true;
    Ok(c)
}

/// Applies up to four small byte mutations (never to the 8-byte header), so that
/// nearly-valid modules occur.
pub fn mutate(u: &mut Unstructured<'_>, bytes: &mut Vec<u8>) -> Result<()> {
    const INTERESTING: [u8; 12] = [
        0x00, 0x01, 0x0b, 0x40, 0x41, 0x6f, 0x70, 0x7f, 0x80, 0xfc, 0xfd, 0xff,
    ];
    for _ in 0..u.int_in_range(0..=4)? {
        if bytes.len() <= 8 {
            break;
        }
        let at = u.int_in_range(8..=bytes.len() - 1)?;
        match u.int_in_range(0..=4)? {
            0 => bytes[at] = u.arbitrary()?,
            1 => bytes[at] = *u.choose(&INTERESTING)?,
            2 => bytes.insert(at, *u.choose(&INTERESTING)?),
            3 => {
                bytes.remove(at);
            }
            _ => bytes[at] = bytes[at].wrapping_add(if u.arbitrary()? { 1 } else { 0xff }),
        }
    }
    Ok(())
}

/// Arguments for a function with `params`: interesting values or arbitrary bits.
pub fn args(u: &mut Unstructured<'_>, params: &[barewasm::ValType]) -> Vec<crate::obs::Val> {
    use crate::obs::Val;
    params
        .iter()
        .map(|t| match t {
            barewasm::ValType::I32 => Val::I32(pick(u, &[0, 1, -1, i32::MIN, i32::MAX, 65536])),
            barewasm::ValType::I64 => Val::I64(pick(u, &[0, 1, -1, i64::MIN, i64::MAX])),
            barewasm::ValType::F32 => Val::F32(pick(
                u,
                &[
                    0,
                    0x8000_0000,
                    0x3f80_0000,
                    0x7f80_0000,
                    0x7fc0_0000,
                    0x4f00_0000,
                ],
            )),
            barewasm::ValType::F64 => Val::F64(pick(
                u,
                &[
                    0,
                    0x8000_0000_0000_0000,
                    0x3ff0_0000_0000_0000,
                    0x7ff8_0000_0000_0000,
                ],
            )),
            barewasm::ValType::FuncRef | barewasm::ValType::ExternRef => Val::Ref { null: true },
        })
        .collect()
}

fn pick<T: Copy + Default + for<'a> arbitrary::Arbitrary<'a>>(
    u: &mut Unstructured<'_>,
    interesting: &[T],
) -> T {
    if u.ratio(1, 2).unwrap_or(true) {
        u.choose(interesting).copied().unwrap_or_default()
    } else {
        u.arbitrary().unwrap_or_default()
    }
}
