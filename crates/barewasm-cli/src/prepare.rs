//! `barewasm prepare`: the side table computed on the host and stored in the module, and
//! frequent instruction sequences fused.
//!
//! A prepared module is the input plus one custom section, [`SECTION_NAME`], holding the
//! side table (format in [`barewasm::module::side_table`]). On the device `Module::new`
//! checks it while validating and then reads it from the module's bytes, so it costs no
//! RAM; a table that does not match the code is rejected.
//!
//! Unless asked not to, it also fuses (see [`barewasm::binary::fused`]): the first opcode
//! of each sequence in the fused table is overwritten with its fused opcode, and a
//! [`FUSED_SECTION`] custom section enables them. Such a module runs only on barewasm;
//! `--no-fuse` keeps the code standard.

use barewasm::binary::fused::{self, SECTION_NAME as FUSED_SECTION};
use barewasm::binary::opcodes::Instr;
use barewasm::binary::reader::Reader;
use barewasm::binary::sections::{SectionId, Sections};
use barewasm::module::side_table::{SideTable, FORMAT_VERSION, SECTION_NAME, WIDE};
use barewasm::{Error, Limits};

use crate::load::Buffers;

/// `bytes` without any side-table custom section (the sections' layout is otherwise kept
/// byte for byte). Bytes that do not parse as sections are returned unchanged, for
/// validation to report.
pub fn strip_side_table(bytes: &[u8]) -> Vec<u8> {
    without_custom(bytes, SECTION_NAME)
}

/// `bytes` without the custom sections named `name`, or unchanged if the sections do not
/// parse.
fn without_custom(bytes: &[u8], name: &str) -> Vec<u8> {
    let Some(spans) = custom_sections(bytes, name) else {
        return bytes.to_vec();
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = 0;
    for (start, end) in spans {
        out.extend_from_slice(&bytes[from..start]);
        from = end;
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

/// `bytes` as they were before [`prepare`]: without side-table and fused sections, and
/// with every fused opcode turned back into the opcode it stands for. Bytes that do not
/// parse are returned as far as they could be restored, for validation to report.
pub fn unprepare(bytes: &[u8]) -> Vec<u8> {
    let mut out = strip_side_table(bytes);
    if custom_sections(&out, FUSED_SECTION).is_some_and(|s| !s.is_empty()) {
        for_each_instr(&mut out, true, |code, pos| {
            if let Some(f) = fused::lookup(code[pos]) {
                code[pos] = f.seq[0];
            }
        });
        out = without_custom(&out, FUSED_SECTION);
    }
    out
}

/// Calls `f(code, pos)` at the opcode of every instruction of every function body, in
/// order, stopping at the first that does not decode. `f` may change the byte at `pos`
/// (only to one that decodes to the same instruction length).
fn for_each_instr(code: &mut [u8], fused: bool, mut f: impl FnMut(&mut [u8], usize)) {
    let Ok(sections) = Sections::index(code) else {
        return;
    };
    let Some(range) = sections.get(SectionId::Code) else {
        return;
    };
    let mut bodies = Vec::new();
    let mut r = Reader::at(code, range.start as usize, range.end as usize);
    let Ok(n) = r.u32() else { return };
    for _ in 0..n {
        let Ok(size) = r.count() else { return };
        let start = r.pos();
        if r.skip(size).is_err() {
            return;
        }
        bodies.push((start, start + size));
    }
    for (start, end) in bodies {
        let mut r = Reader::at(code, start, end);
        let Ok(groups) = r.u32() else { return };
        for _ in 0..groups {
            if r.u32().is_err() || r.u8().is_err() {
                return;
            }
        }
        let mut pos = r.pos();
        while pos < end {
            f(code, pos);
            let mut r = Reader::at(code, pos, end);
            if Instr::read_with(&mut r, fused).is_err() {
                return;
            }
            pos = r.pos();
        }
    }
}

/// Fuses `bytes`, a valid module without fused opcodes: overwrites the first opcode of
/// every sequence in [`fused::TABLE`] whose immediates have its lengths, left to right
/// and the longest first where several start at one instruction, and returns how many
/// were fused. The caller adds the
/// section that enables them ([`fused_section`]).
pub fn fuse(bytes: &mut [u8]) -> usize {
    // Opcode positions first, then matching on the unchanged bytes.
    let mut starts = Vec::new();
    for_each_instr(bytes, false, |_, pos| starts.push(pos));
    let mut by_length: Vec<&fused::Fused> = fused::TABLE.iter().collect();
    by_length.sort_by_key(|f| core::cmp::Reverse(f.seq.len()));
    let mut count = 0;
    let mut i = 0;
    while i < starts.len() {
        // Each instruction of the sequence with its opcode and a one-byte immediate, if
        // any, or a two-byte one for a wide form's constant (the next instruction starts
        // right after it).
        let found = by_length.iter().find(|f| {
            f.seq.len() < starts.len() - i
                && f.seq.iter().enumerate().all(|(k, &op)| {
                    let (at, next) = (starts[i + k], starts[i + k + 1]);
                    let imm = fused::has_immediate(op) as usize + (k == 0 && f.wide) as usize;
                    bytes[at] == op && next - at == 1 + imm
                })
        });
        match found {
            Some(f) => {
                bytes[starts[i]] = f.code;
                count += 1;
                i += f.seq.len();
            }
            None => i += 1,
        }
    }
    count
}

/// The custom section that enables fused opcodes.
pub fn fused_section() -> Vec<u8> {
    let mut contents = Vec::new();
    leb(&mut contents, FUSED_SECTION.len() as u32);
    contents.extend_from_slice(FUSED_SECTION.as_bytes());
    contents.push(fused::FORMAT_VERSION);
    let mut out = vec![0u8];
    leb(&mut out, contents.len() as u32);
    out.extend_from_slice(&contents);
    out
}

/// The byte ranges of the custom sections named `name`, or `None` if the sections do not
/// parse.
fn custom_sections(bytes: &[u8], name: &str) -> Option<Vec<(usize, usize)>> {
    if bytes.len() < 8 {
        return None;
    }
    let mut r = Reader::at(bytes, 8, bytes.len());
    let mut spans = Vec::new();
    while !r.is_empty() {
        let start = r.pos();
        let id = r.u8().ok()?;
        let size = r.count().ok()?;
        let body = r.pos();
        r.skip(size).ok()?;
        if id == 0 && Reader::at(bytes, body, r.pos()).name().ok()? == name {
            spans.push((start, r.pos()));
        }
    }
    Some(spans)
}

/// Appends `n` as unsigned LEB128.
fn leb(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A side table as a prepared module stores it: every entry, and the wide entries in the
/// order of the entries that refer to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredTable {
    pub entries: Vec<u32>,
    pub wide: Vec<u64>,
}

impl StoredTable {
    /// The stored form of a table validation built: wide entries renumbered in order, and
    /// the unused ones (a large body's, see [`barewasm::module::side_table`]) left out.
    pub fn of(t: SideTable<'_>) -> StoredTable {
        let mut s = StoredTable::default();
        for i in 0..t.len() {
            match (t.raw(i), t.entry(i)) {
                (Some(raw), Some(e)) if raw & WIDE != 0 => {
                    s.entries.push(WIDE | s.wide.len() as u32);
                    s.wide.push(e.0);
                }
                (Some(raw), _) => s.entries.push(raw),
                (None, _) => {}
            }
        }
        s
    }

    /// The custom section holding the table.
    pub fn section(&self) -> Vec<u8> {
        let (n, w) = (self.entries.len(), self.wide.len());
        let mut contents = Vec::with_capacity(SECTION_NAME.len() + 11 + n * 4 + w * 8);
        leb(&mut contents, SECTION_NAME.len() as u32);
        contents.extend_from_slice(SECTION_NAME.as_bytes());
        contents.push(FORMAT_VERSION);
        leb(&mut contents, n as u32);
        for e in &self.entries {
            contents.extend_from_slice(&e.to_le_bytes());
        }
        leb(&mut contents, w as u32);
        for e in &self.wide {
            contents.extend_from_slice(&e.to_le_bytes());
        }
        let mut out = vec![0u8];
        leb(&mut out, contents.len() as u32);
        out.extend_from_slice(&contents);
        out
    }
}

/// A prepared module: validates `bytes` (any earlier preparation undone first) under
/// `limits`, fuses it, and appends its side table as a custom section.
pub fn prepare(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, Error> {
    prepare_with(bytes, limits, true).map(|(out, _)| out)
}

/// [`prepare`], fusing only if `fuse` is set (otherwise the result is a standard module);
/// also returns how many sequences were fused.
pub fn prepare_with(bytes: &[u8], limits: &Limits, fuse: bool) -> Result<(Vec<u8>, usize), Error> {
    let mut out = unprepare(bytes);
    let section = {
        let mut buffers = Buffers::new();
        let (module, _) = buffers.module(&out, limits)?;
        StoredTable::of(module.side_table()).section()
    };
    let fused = if fuse { self::fuse(&mut out) } else { 0 };
    if fused > 0 {
        out.extend_from_slice(&fused_section());
    }
    out.extend_from_slice(&section);
    Ok((out, fused))
}

#[cfg(test)]
mod tests {
    use super::*;
    use barewasm::ErrorKind;

    fn wasm(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    const LOOPS: &str = r#"(module (func (export "f") (param i32) (result i32)
        (block (result i32)
          (loop
            (br_if 1 (i32.const 7) (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br 0))
          (i32.const 0))))"#;

    #[test]
    fn prepared_module_has_no_side_table_in_state() {
        let plain = wasm(LOOPS);
        let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
        assert!(prepared.starts_with(&plain));
        let a = crate::load::validate_bytes(&plain, &Limits::DEFAULT).unwrap();
        let b = crate::load::validate_bytes(&prepared, &Limits::DEFAULT).unwrap();
        assert_eq!(a.plan.side_table_entries, 2);
        assert_eq!(b.plan.side_table_entries, 2);
        assert!(!a.plan.side_table_prepared && b.plan.side_table_prepared);
        assert_eq!(b.plan.side_table_bytes, 0);
        assert_eq!(a.plan.module_state_bytes - b.plan.module_state_bytes, 2 * 8);
    }

    #[test]
    fn preparing_twice_replaces_the_old_table() {
        let plain = wasm(LOOPS);
        let once = prepare(&plain, &Limits::DEFAULT).unwrap();
        assert_eq!(prepare(&once, &Limits::DEFAULT).unwrap(), once);
        // Even a wrong old table is replaced, not trusted.
        let mut bad = once.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(prepare(&bad, &Limits::DEFAULT).unwrap(), once);
        assert_eq!(strip_side_table(&once), plain);
    }

    #[test]
    fn a_second_side_table_is_rejected() {
        let once = prepare(&wasm(LOOPS), &Limits::DEFAULT).unwrap();
        let mut twice = once.clone();
        twice.extend_from_slice(&StoredTable::default().section());
        let e = crate::load::validate_bytes(&twice, &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::BadSideTable, once.len())
        );
    }
}
