//! Prepared modules (`barewasm prepare`): the side table precomputed on the host and
//! stored in a custom section. The demo guest runs the same prepared, with 4 bytes less
//! state per entry; every kind of tampering with the stored table is rejected by
//! `Module::new` as `BadSideTable`, never run, never a panic.

use std::path::PathBuf;

use barewasm::module::side_table::{SideEntry, WIDE};
use barewasm::{Category, Error, ErrorKind, Limits, Module, Plan};
use barewasm_cli::prepare::{prepare, prepare_with, strip_side_table, StoredTable};
use barewasm_cli::run::{run, Metering};

fn guest() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../guests/wasm/demo.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Buffers large enough for the demo guest, reused by every check.
struct Bufs {
    state: Vec<u8>,
    scratch: Vec<u8>,
}

impl Bufs {
    fn new() -> Self {
        Bufs {
            state: vec![0; 256 * 1024],
            scratch: vec![0; 256 * 1024],
        }
    }

    /// Validates `bytes`; returns (prepared, state bytes, side-table entries) or the error.
    fn check(&mut self, bytes: &[u8]) -> Result<(bool, usize, Vec<u64>), Error> {
        let (m, _) = Module::new(bytes, &mut self.state, &mut self.scratch, &Limits::DEFAULT)?;
        let entries = (0..m.side_table().len())
            .map(|i| m.side_entry(i).0)
            .collect();
        Ok((m.is_prepared(), m.state_bytes(), entries))
    }

    fn rejects(&mut self, bytes: &[u8], what: &str) -> Error {
        match self.check(bytes) {
            Ok(_) => panic!("{what}: a tampered side table was accepted"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::BadSideTable, "{what}: {e}");
                assert_eq!(e.category(), Category::Malformed);
                e
            }
        }
    }
}

/// The module without its table, and the table.
fn split(prepared: &[u8]) -> (Vec<u8>, StoredTable) {
    let plain = strip_side_table(prepared);
    let section = &prepared[plain.len()..];
    // The section: id 0, size, name, version, count, entries, wide count, wide entries.
    let mut i = header_len(section) - leb_len(&section[..header_len(section)]);
    let n = leb(section, &mut i);
    let entries = (0..n)
        .map(|k| u32::from_le_bytes(section[i + 4 * k..i + 4 * k + 4].try_into().unwrap()))
        .collect();
    i += 4 * n;
    let w = leb(section, &mut i);
    let wide = (0..w)
        .map(|k| u64::from_le_bytes(section[i + 8 * k..i + 8 * k + 8].try_into().unwrap()))
        .collect();
    assert_eq!(i + 8 * w, section.len());
    (plain, StoredTable { entries, wide })
}

fn leb(b: &[u8], i: &mut usize) -> usize {
    let (mut v, mut shift) = (0usize, 0);
    loop {
        let x = b[*i];
        *i += 1;
        v |= ((x & 0x7f) as usize) << shift;
        shift += 7;
        if x & 0x80 == 0 {
            return v;
        }
    }
}

/// Length of the LEB128 number that ends `b`.
fn leb_len(b: &[u8]) -> usize {
    1 + b[..b.len() - 1]
        .iter()
        .rev()
        .take_while(|&&x| x & 0x80 != 0)
        .count()
}

/// Bytes of the section before its first entry.
fn header_len(section: &[u8]) -> usize {
    let mut i = 1;
    while section[i] & 0x80 != 0 {
        i += 1;
    }
    i += 1; // section size
    let name_len = section[i] as usize;
    i += 1 + name_len + 1; // name, version
    while section[i] & 0x80 != 0 {
        i += 1;
    }
    i + 1 // count
}

fn with_table(plain: &[u8], t: &StoredTable) -> Vec<u8> {
    let mut m = plain.to_vec();
    m.extend_from_slice(&t.section());
    m
}

fn entries(e: &[u32]) -> StoredTable {
    StoredTable {
        entries: e.to_vec(),
        wide: vec![],
    }
}

#[test]
fn prepared_demo_runs_the_same_with_less_state() {
    let plain = guest();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    let mut b = Bufs::new();
    let (was_prepared, plain_state, plain_table) = b.check(&plain).unwrap();
    let (is_prepared, prepared_state, prepared_table) = b.check(&prepared).unwrap();
    assert!(!was_prepared && is_prepared);
    // The demo guest's 157 entries: the same table, no longer in RAM.
    assert_eq!(plain_table.len(), 157);
    assert_eq!(prepared_table, plain_table);
    assert_eq!(plain_state - prepared_state, 79 * 8);
    println!("module state: {plain_state} B unprepared, {prepared_state} B prepared");

    let plan = |bytes: &[u8]| barewasm_cli::load::validate_bytes(bytes, &Limits::DEFAULT).unwrap();
    let (p0, p1): (Plan, Plan) = (plan(&plain).plan, plan(&prepared).plan);
    // Two entries to a word, none of them wide.
    assert_eq!((p0.side_table_bytes, p1.side_table_bytes), (79 * 8, 0));
    assert_eq!(p0.module_state_bytes - p1.module_state_bytes, 79 * 8);

    for export in ["run", "fib"] {
        let args: Vec<String> = if export == "fib" {
            vec!["20".into()]
        } else {
            vec![]
        };
        let mut outs = Vec::new();
        let mut results = Vec::new();
        let unfused = prepare_with(&plain, &Limits::DEFAULT, false).unwrap().0;
        for bytes in [&plain, &unfused, &prepared] {
            let mut out = Vec::new();
            let ran = run(
                bytes,
                Some(export),
                &args,
                &Limits::DEFAULT,
                Metering::UNLIMITED,
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{export}: {e:?}"));
            results.push((format!("{:?}", ran.results), ran.fuel_used));
            outs.push(out);
        }
        // The same results and fuel, fused or not (fuel is charged at branches).
        assert_eq!(results[0], results[1], "{export}: results and fuel");
        assert_eq!(results[0], results[2], "{export}: results and fuel");
        assert!(results[0].1 > 0, "{export}: fuel {results:?}");
        assert!(outs.iter().all(|o| *o == outs[0]), "{export}: output");
    }
}

#[test]
fn every_field_of_every_entry_is_checked() {
    let prepared = prepare(&guest(), &Limits::DEFAULT).unwrap();
    let (plain, table) = split(&prepared);
    assert_eq!(with_table(&plain, &table), prepared);
    assert!(table.wide.is_empty());
    let mut b = Bufs::new();
    let mut at_branch = 0;
    for i in 0..table.entries.len() {
        // Every bit: target pc (bits 0-15), target stp (16-30), the wide flag (31).
        for bit in 0..32 {
            let mut t = table.clone();
            t.entries[i] ^= 1 << bit;
            let e = b.rejects(&with_table(&plain, &t), &format!("entry {i} bit {bit}"));
            // The error points into the code (the branch, or the `end`/`else` whose
            // target differs).
            assert!(e.offset() < plain.len(), "entry {i} bit {bit}: {e}");
            at_branch += 1;
        }
    }
    println!("{at_branch} single-bit changes rejected");
}

#[test]
fn every_field_of_every_wide_entry_is_checked() {
    // Branches that drop values take wide entries: a forward one, a loop's, a br_table's.
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (param i32) (result i32)
          (drop (block (result i32) (i32.const 1) (i32.const 2) (br_if 0 (local.get 0)) (drop)))
          (loop (result i32) (i32.const 3) (i32.const 4) (br_if 1 (local.get 0)) (drop)
            (i32.const 5) (br_if 0 (local.get 0)) (drop))
          (drop)
          (block (result i32) (i32.const 6) (i32.const 7)
            (br_table 0 0 (local.get 0)))))"#,
    )
    .unwrap();
    let prepared = prepare(&wasm, &Limits::DEFAULT).unwrap();
    let (plain, table) = split(&prepared);
    let wide = table.entries.iter().filter(|&&r| r & WIDE != 0).count();
    assert!(wide >= 4 && wide == table.wide.len(), "{table:?}");
    let mut b = Bufs::new();
    for i in 0..table.wide.len() {
        // Every bit: target pc (0-22), target stp (23-41), keep (42-51), drop (52-63).
        for bit in 0..64 {
            let mut t = table.clone();
            t.wide[i] ^= 1 << bit;
            let e = b.rejects(&with_table(&plain, &t), &format!("wide {i} bit {bit}"));
            assert!(e.offset() < plain.len(), "wide {i} bit {bit}: {e}");
        }
    }
    for i in 0..table.entries.len() {
        for bit in 0..32 {
            let mut t = table.clone();
            t.entries[i] ^= 1 << bit;
            b.rejects(&with_table(&plain, &t), &format!("entry {i} bit {bit}"));
        }
    }
    // Wide entries reordered, one added, one removed.
    let mut t = table.clone();
    t.wide.swap(0, 1);
    b.rejects(&with_table(&plain, &t), "wide entries swapped");
    let mut t = table.clone();
    t.wide.push(t.wide[0]);
    b.rejects(&with_table(&plain, &t), "an unused wide entry");
    let mut t = table.clone();
    t.wide.pop();
    b.rejects(&with_table(&plain, &t), "a wide entry missing");
    // The same results from both tables.
    for arg in ["0", "1", "2"] {
        let mut results = Vec::new();
        for bytes in [&wasm, &prepared] {
            let mut out = Vec::new();
            let ran = run(
                bytes,
                Some("f"),
                &[arg.to_string()],
                &Limits::DEFAULT,
                Metering::UNLIMITED,
                &mut out,
            )
            .unwrap();
            results.push(format!("{:?}", ran.results));
        }
        assert_eq!(results[0], results[1], "f({arg})");
    }
}

#[test]
fn entries_removed_added_moved_or_miscounted_are_rejected() {
    let prepared = prepare(&guest(), &Limits::DEFAULT).unwrap();
    let (plain, table) = split(&prepared);
    let entries = table.entries.clone();
    let mut b = Bufs::new();
    let n = entries.len();
    for i in [0, 1, n / 2, n - 1] {
        let mut t = entries.clone();
        t.remove(i);
        b.rejects(
            &with_table(&plain, &self::entries(&t)),
            &format!("entry {i} deleted"),
        );
        let mut t = entries.clone();
        t.insert(i, entries[i]);
        b.rejects(
            &with_table(&plain, &self::entries(&t)),
            &format!("entry {i} duplicated"),
        );
        let mut t = entries.clone();
        t.swap(i, (i + 1) % n);
        if t != entries {
            b.rejects(
                &with_table(&plain, &self::entries(&t)),
                &format!("entries {i} swapped"),
            );
        }
    }
    let mut t = entries.clone();
    t.push(0);
    b.rejects(
        &with_table(&plain, &self::entries(&t)),
        "entry added at the end",
    );
    b.rejects(&with_table(&plain, &self::entries(&[])), "empty table");
    b.rejects(
        &with_table(&plain, &self::entries(&entries[..n - 1])),
        "last entry missing",
    );
    let mut t = table.clone();
    t.wide.push(0);
    b.rejects(&with_table(&plain, &t), "a wide entry no entry refers to");

    // The header: count, version, length.
    let section = table.section();
    let head = header_len(&section);
    let count_at = plain.len() + head - 2; // 157 takes two LEB128 bytes
    for (what, pos, value) in [
        ("count + 1", count_at, prepared[count_at] + 1),
        ("count - 1", count_at, prepared[count_at] - 1),
        ("version 1", count_at - 1, 1),
        ("version 0", count_at - 1, 0),
    ] {
        let mut m = prepared.clone();
        m[pos] = value;
        b.rejects(&m, what);
    }
    // The section cut short by k bytes (its size adjusted, so only the table is short).
    for k in [1, 3, 4, 5] {
        let mut s = table.section();
        s.truncate(s.len() - k);
        let size = s.len() - 3; // id byte and a two-byte size
        s[1] = (size as u8 & 0x7f) | 0x80;
        s[2] = (size >> 7) as u8;
        let mut m = plain.clone();
        m.extend_from_slice(&s);
        b.rejects(&m, &format!("section cut by {k} bytes"));
    }
    // Bytes after the entries.
    let mut s = table.section();
    s.push(0);
    let size = s.len() - 3;
    s[1] = (size as u8 & 0x7f) | 0x80;
    s[2] = (size >> 7) as u8;
    let mut m = plain.clone();
    m.extend_from_slice(&s);
    b.rejects(&m, "a trailing byte");
}

#[test]
fn any_byte_of_the_table_changed_is_rejected_without_panic() {
    let prepared = prepare(&guest(), &Limits::DEFAULT).unwrap();
    let (plain, _) = split(&prepared);
    let mut b = Bufs::new();
    let name_end = plain.len() + 3 + 1 + "barewasm.side".len();
    for pos in name_end..prepared.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut m = prepared.clone();
            m[pos] ^= x;
            b.rejects(&m, &format!("byte {pos} ^ {x:#x}"));
        }
    }
}

#[test]
fn a_table_for_another_module_is_rejected() {
    // Two modules with the same number of entries: one's table does not fit the other.
    let a = wat::parse_str("(module (func (block (br_if 0 (i32.const 1)))))").unwrap();
    let b_ = wat::parse_str("(module (func (loop (br_if 0 (i32.const 1)))))").unwrap();
    let (_, ta) = split(&prepare(&a, &Limits::DEFAULT).unwrap());
    let mut b = Bufs::new();
    b.rejects(&with_table(&b_, &ta), "a block's table on a loop");
    // And a prepared module whose code changed afterwards (a branch retargeted).
    let c = wat::parse_str("(module (func (block (block (br_if 0 (i32.const 1))))))").unwrap();
    let d = wat::parse_str("(module (func (block (block (br_if 1 (i32.const 1))))))").unwrap();
    let (_, tc) = split(&prepare(&c, &Limits::DEFAULT).unwrap());
    b.rejects(&with_table(&d, &tc), "code changed after preparing");
    // Unprepared modules are untouched by all this.
    assert!(!b.check(&d).unwrap().0);
}

#[test]
fn unprepared_modules_keep_their_table_in_state() {
    let plain = guest();
    let mut b = Bufs::new();
    let (prepared, state, entries) = b.check(&plain).unwrap();
    assert!(!prepared);
    let plan = barewasm_cli::load::validate_bytes(&plain, &Limits::DEFAULT)
        .unwrap()
        .plan;
    assert!(!plan.side_table_prepared);
    assert_eq!(plan.side_table_bytes, entries.len().div_ceil(2) * 8);
    assert_eq!(plan.module_state_bytes, state);
    // Entries are what the format says: a loop branch's target is known, its values fit.
    assert!(entries
        .iter()
        .all(|&e| SideEntry(e).keep() < 1024 && SideEntry(e).drop() < 4096));
}
