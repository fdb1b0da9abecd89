//! `barewasm prepare`: the side table computed on the host and stored in the module.
//!
//! A prepared module is the input plus one custom section, [`SECTION_NAME`], holding the
//! side table (format in [`barewasm::module::side_table`]). On the device `Module::new`
//! checks it while validating and then reads it from the module's bytes, so it costs no
//! RAM; a table that does not match the code is rejected.

use barewasm::binary::reader::Reader;
use barewasm::module::side_table::{FORMAT_VERSION, SECTION_NAME};
use barewasm::{Error, Limits};

use crate::load::Buffers;

/// `bytes` without any side-table custom section (the sections' layout is otherwise kept
/// byte for byte). Bytes that do not parse as sections are returned unchanged, for
/// validation to report.
pub fn strip_side_table(bytes: &[u8]) -> Vec<u8> {
    let Some(spans) = side_sections(bytes) else {
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

/// The byte ranges of the side-table custom sections, or `None` if the sections do not
/// parse.
fn side_sections(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
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
        if id == 0 && Reader::at(bytes, body, r.pos()).name().ok()? == SECTION_NAME {
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

/// The custom section holding side-table `entries` (each 8 bytes, little-endian).
pub fn side_section(entries: &[[u8; 8]]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(SECTION_NAME.len() + 6 + entries.len() * 8);
    leb(&mut contents, SECTION_NAME.len() as u32);
    contents.extend_from_slice(SECTION_NAME.as_bytes());
    contents.push(FORMAT_VERSION);
    leb(&mut contents, entries.len() as u32);
    for e in entries {
        contents.extend_from_slice(e);
    }
    let mut out = vec![0u8];
    leb(&mut out, contents.len() as u32);
    out.extend_from_slice(&contents);
    out
}

/// A prepared module: validates `bytes` (any old side table removed first) under `limits`
/// and appends its side table as a custom section.
pub fn prepare(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, Error> {
    let mut out = strip_side_table(bytes);
    let section = {
        let mut buffers = Buffers::new();
        let (module, _) = buffers.module(&out, limits)?;
        side_section(module.side_table())
    };
    out.extend_from_slice(&section);
    Ok(out)
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
        twice.extend_from_slice(&side_section(&[]));
        let e = crate::load::validate_bytes(&twice, &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::BadSideTable, once.len())
        );
    }
}
