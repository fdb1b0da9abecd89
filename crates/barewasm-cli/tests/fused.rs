//! Fused opcodes (`barewasm prepare`, `barewasm::binary::fused`): every fused opcode runs
//! like the sequence it stands for (results, traps and their offsets, fuel), and a fused
//! module that was tampered with is rejected or runs like the unfused
//! module it then spells, never anything else.

use barewasm::binary::fused::{self, TABLE};
use barewasm::{ErrorKind, Limits};
use barewasm_cli::prepare::{fuse, fused_section, prepare, prepare_with, unprepare};
use barewasm_cli::run::{run, Metering, RunError};

/// One function using every sequence of the fused table, each set apart by `nop`s so that
/// `prepare` fuses exactly it, plus loads that trap.
const ALL: &str = r#"(module
  (memory 1 1)
  (func (export "f") (param $a i32) (param $b i32) (result i32) (local $x i32) (local $y i32)
    local.get $a i32.const 30 i32.add nop
    local.get $a i32.const 300 i32.add nop i32.xor nop
    local.get $a local.get $b i32.add nop
    i32.xor nop
    local.get $a local.get $b nop i32.sub nop i32.xor nop
    local.get $a nop local.set $y local.get $y nop
    local.tee $x local.get $b nop
    i32.add nop
    i32.const 7 i32.add nop
    local.get $x i32.add nop
    i32.const -5 local.set $y nop
    local.get $y nop i32.xor nop
    local.get $b i32.const 3 i32.shr_u nop i32.xor nop
    local.get $b i32.const 35 i32.shl nop i32.xor nop
    local.get $y i32.const -64 i32.add nop i32.xor nop
    local.get $y i32.const 63 i32.shl nop i32.xor nop
    local.get $a i32.const 64 i32.add nop i32.xor nop
    local.get $a i32.const -64 i32.and nop i32.xor nop
    local.get $b nop i32.const 63 i32.and nop i32.xor nop
    local.get $a nop i32.const 5 i32.shl nop i32.xor nop
    local.get $b nop i32.const -1 i32.shl nop i32.xor nop
    local.get $a nop i32.const 13 i32.rotl nop i32.xor nop
    local.get $b nop i32.const -3 i32.rotl nop i32.xor nop
    local.get $b i32.xor nop
    local.tee $x i32.const 9 nop i32.add nop
    local.tee $y i32.const -64 nop i32.sub nop local.get $y nop i32.xor nop
    local.get $a nop local.set $x local.get $x i32.const 63 i32.add nop
    local.set $y local.get $b i32.const -64 i32.add nop i32.xor nop local.get $y nop i32.xor nop
    local.get $a nop i32.const 7 i32.eq nop i32.xor nop
    local.get $b nop i32.const -1 i32.ne nop i32.xor nop
    local.get $a nop i32.const 255 i32.and nop i32.xor nop
    local.get $b nop i32.const -8192 i32.and nop i32.xor nop
    local.get $a nop i32.const 8191 i32.ne nop i32.xor nop
    local.get $b nop i32.const -65 i32.add nop i32.xor nop
    local.get $b nop i32.const 8192 i32.and nop i32.xor nop
    local.get $a local.get $b i32.const 3 i32.shl i32.add nop i32.xor nop
    local.get $b local.get $a i32.const -1 i32.shl i32.add nop i32.xor nop
    local.get $b nop local.get $a i32.const 7 i32.rotl i32.xor nop i32.xor nop
    local.get $a nop local.get $b i32.const 35 i32.shr_u i32.xor nop i32.xor nop
    local.get $a nop i32.const 255 i32.and i32.const 9 i32.shl nop i32.xor nop
    local.get $b nop i32.const -8192 i32.and i32.const -3 i32.shl nop i32.xor nop
    local.get $a nop local.get $b i32.xor local.tee $x i32.const 5 nop i32.add nop
    local.get $x nop i32.xor nop i32.xor nop
    local.get $a nop local.get $b nop local.set $x i32.const -7 local.set $y local.get $x nop
    i32.xor nop local.get $y nop i32.xor nop i32.xor nop
    local.get $a nop local.set $y i32.const 13 local.set $x local.get $x nop i32.xor nop
    local.get $b nop local.set $y i32.const 11 local.set $x local.get $y nop i32.xor nop
    i32.const 21 local.set $x (block (result i32) local.get $x nop) nop i32.xor nop
    i32.const -9 local.set $y (block (result i32) local.get $a nop) nop i32.xor nop
    local.get $y nop i32.xor nop
    local.get $a i32.const 17 i32.add local.set $x local.get $x nop i32.xor nop
    local.get $y i32.const -1 i32.add local.set $y local.get $y nop i32.xor nop
    local.get $b i32.const 60 i32.add local.tee $x nop local.get $x nop i32.add nop i32.xor nop
    local.get $a nop local.get $b i32.const 5 i32.shr_u i32.xor local.set $y local.get $y nop
    i32.xor nop
    local.get $a local.get $b local.get $x nop i32.sub nop i32.xor nop i32.xor nop
    local.get $a local.get $b i32.const -20 i32.add nop i32.sub nop i32.xor nop
    (block (param i32) (result i32) local.get $a nop i32.const 7 i32.eq br_if 0 i32.const 5 nop i32.add) nop
    (block (param i32) (result i32) local.get $b nop i32.const -1 i32.ne br_if 0 i32.const 9 nop i32.xor) nop
    (block (block (block (block nop)))) nop
    (block (block nop)) nop
    (block (result i32) local.get $b) nop i32.xor nop
    i32.xor)
  (func (export "load") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add i32.load offset=4)
  (func (export "loop") (param $n i32) (result i32) (local $s i32)
    (loop $l
      local.get $s local.get $n i32.add local.set $s
      local.get $n i32.const -1 i32.add local.tee $n
      br_if $l)
    local.get $s))"#;

fn all() -> Vec<u8> {
    wat::parse_str(ALL).unwrap()
}

/// A call's results or error, and the fuel it used and how often it paused.
fn outcome(bytes: &[u8], export: &str, args: &[i64], metering: Metering) -> (String, u64, u64) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    match run(
        bytes,
        Some(export),
        &args,
        &Limits::DEFAULT,
        metering,
        std::io::sink(),
    ) {
        Ok(r) => (format!("{:?}", r.results), r.fuel_used, r.pauses),
        Err(RunError::Wasm(e)) => (format!("{e:?}"), 0, 0),
        Err(RunError::Usage(u)) => panic!("{export}: {u}"),
    }
}

/// A call's results or error.
fn call(bytes: &[u8], export: &str, args: &[i64], metering: Metering) -> String {
    outcome(bytes, export, args, metering).0
}

/// The fused opcodes in `bytes`'s code, by position (after `unprepare` differs there).
fn fused_positions(bytes: &[u8]) -> Vec<(usize, u8)> {
    let plain = unprepare(bytes);
    (0..plain.len())
        .filter(|&i| plain[i] != bytes[i])
        .map(|i| (i, bytes[i]))
        .collect()
}

#[test]
fn prepare_fuses_every_sequence_of_the_table() {
    let plain = all();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    let found = fused_positions(&prepared);
    for f in TABLE {
        let n = found.iter().filter(|(_, c)| *c == f.code).count();
        assert!(n >= 1, "{} not fused", f.name());
    }
    // `local.get; i32.const; i32.add` with a two-byte constant (`i32.const 300`, `64`) is
    // not fused (its `i32.const; i32.add` is, in a wide form), a three-byte one (8192)
    // not at all, and in the loop `local.set; local.get` is fused first: three of the six
    // `local.get; i32.const; i32.add` are fused.
    let adds = found
        .iter()
        .filter(|(_, c)| *c == fused::code::LOCAL_CONST_ADD);
    assert_eq!(adds.count(), 3);
    // 255 and -8192 in a wide form, 8192 (three bytes) left alone.
    let ands = found.iter().filter(|(_, c)| *c == fused::code::CONST2_AND);
    assert_eq!(ands.count(), 2);
    // Each position held the first opcode of its sequence, and only fused bytes changed.
    for &(i, c) in &found {
        assert_eq!(plain[i], fused::lookup(c).unwrap().seq[0]);
    }
    assert_eq!(unprepare(&prepared), plain);
    // Preparing again gives the same bytes; --no-fuse gives a standard module.
    assert_eq!(prepare(&prepared, &Limits::DEFAULT).unwrap(), prepared);
    let unfused = prepare_with(&plain, &Limits::DEFAULT, false).unwrap().0;
    assert!(fused_positions(&unfused).is_empty());
    assert!(unfused.starts_with(&plain));
}

#[test]
fn fused_code_computes_what_the_sequences_do() {
    let plain = all();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    // Miri (scripts/miri.sh) runs this test for the fused arms' unchecked reads, with
    // fewer values.
    let all = [
        0i64,
        1,
        -1,
        7,
        300,
        -300,
        0x7fff_ffff,
        -0x8000_0000,
        0x1234_5678,
    ];
    let values = if cfg!(miri) { &all[2..5] } else { &all[..] };
    for &a in values {
        for &b in values {
            let want = call(&plain, "f", &[a, b], Metering::UNLIMITED);
            assert!(want.contains("I32"), "f({a}, {b}): {want}");
            assert_eq!(call(&prepared, "f", &[a, b], Metering::UNLIMITED), want);
        }
    }
    for n in [1i64, 2, 1000] {
        let want = call(&plain, "loop", &[n], Metering::UNLIMITED);
        assert_eq!(call(&prepared, "loop", &[n], Metering::UNLIMITED), want);
    }
}

#[test]
fn a_trap_after_a_fused_sequence_is_at_its_instruction() {
    let plain = all();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    let want = call(&plain, "load", &[65530], Metering::UNLIMITED);
    assert!(want.contains("MemoryOutOfBounds"), "{want}");
    assert_eq!(call(&prepared, "load", &[65530], Metering::UNLIMITED), want);
    let e = match run(
        &prepared,
        Some("load"),
        &["65530".to_string()],
        &Limits::DEFAULT,
        Metering::UNLIMITED,
        std::io::sink(),
    ) {
        Err(RunError::Wasm(e)) => e,
        other => panic!("{other:?}"),
    };
    // The load's own opcode, right after the fused `local.get; i32.const; i32.add`.
    assert_eq!(prepared[e.offset()], 0x28);
    assert_eq!(prepared[e.offset() - 5], fused::code::LOCAL_CONST_ADD);
}

#[test]
fn fusion_changes_no_fuel_and_pauses_resume_on_fused_opcodes() {
    let plain = all();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    // Fuel is charged at taken branches, and no fused sequence holds one: `loop(n)`
    // costs its n - 1 taken `br_if`s either way.
    for n in [1i64, 5, 100] {
        let (r0, f0, _) = outcome(&plain, "loop", &[n], Metering::UNLIMITED);
        let (r1, f1, _) = outcome(&prepared, "loop", &[n], Metering::UNLIMITED);
        assert_eq!((f0, f1), (n as u64 - 1, n as u64 - 1), "loop({n})");
        assert_eq!(r0, r1, "loop({n})");
    }
    // `f` branches only in its two `br_if`s after a fused comparison (a == 7, b != -1).
    for (a, b, units) in [(5, -1, 0), (7, -1, 1), (5, -9, 1), (7, 3, 2)] {
        let want = outcome(&plain, "f", &[a, b], Metering::UNLIMITED);
        assert_eq!(want.1, units, "f({a}, {b})");
        assert_eq!(outcome(&prepared, "f", &[a, b], Metering::UNLIMITED), want);
    }
    let (want, used, _) = outcome(&prepared, "loop", &[12], Metering::UNLIMITED);
    assert_eq!(used, 11);
    // Too little fuel is `OutOfFuel` at the loop's first instruction, a fused opcode;
    // enough gives the results, to the unit.
    for budget in 0..=used + 1 {
        let m = Metering {
            budget,
            slice: budget.max(1),
        };
        let (got, fuel, _) = outcome(&prepared, "loop", &[12], m);
        if budget < used {
            let at = got
                .strip_prefix("Error { kind: OutOfFuel, offset: ")
                .and_then(|r| r.strip_suffix(" }"))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("budget {budget}: {got}"));
            assert_eq!(
                prepared[at],
                fused::code::LOCAL_LOCAL_ADD,
                "budget {budget}"
            );
        } else {
            assert_eq!((got.as_str(), fuel), (want.as_str(), used), "{budget}");
        }
    }
    // Paused and continued every few units: the same results, and every slice but the
    // last used up.
    for slice in 1..=5 {
        let m = Metering {
            budget: Metering::UNLIMITED.budget,
            slice,
        };
        let (got, fuel, pauses) = outcome(&prepared, "loop", &[12], m);
        assert_eq!((got.as_str(), fuel), (want.as_str(), used), "slice {slice}");
        assert_eq!(pauses, used.div_ceil(slice) - 1, "slice {slice}");
    }
}

#[test]
fn fused_opcodes_need_their_section() {
    let plain = all();
    let prepared = prepare_with(&plain, &Limits::DEFAULT, true).unwrap().0;
    let section = fused_section();
    let at = prepared
        .windows(section.len())
        .position(|w| w == section)
        .expect("the fused section");
    let first = fused_positions(&prepared)[0].0;
    // Without it, the first fused byte is an unknown opcode, as the spec says.
    let mut without = prepared.clone();
    without.drain(at..at + section.len());
    let e = barewasm_cli::load::validate_bytes(&without, &Limits::DEFAULT).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::UnknownOpcode, first));
    // A second one, another version, or other contents: the section is malformed.
    let mut twice = prepared.clone();
    twice.extend_from_slice(&section);
    let e = barewasm_cli::load::validate_bytes(&twice, &Limits::DEFAULT).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::BadFusedInstruction, prepared.len())
    );
    let last = at + section.len() - 1;
    let mut version = prepared.clone();
    version[last] = fused::FORMAT_VERSION + 1;
    let e = barewasm_cli::load::validate_bytes(&version, &Limits::DEFAULT).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::BadFusedInstruction, at));
}

#[test]
fn a_broken_sequence_is_rejected_at_its_fused_opcode() {
    let prepared = prepare(&all(), &Limits::DEFAULT).unwrap();
    for (pos, code) in fused_positions(&prepared) {
        let f = fused::lookup(code).unwrap();
        // The sequence's last opcode: one byte, right before the next `nop`, `end` or
        // instruction; find it by decoding the unfused code.
        let plain = unprepare(&prepared);
        let mut r = barewasm::binary::reader::Reader::at(&plain, pos, plain.len());
        let mut last = pos;
        for _ in 0..f.seq.len() {
            last = r.pos();
            barewasm::binary::opcodes::Instr::read(&mut r).unwrap();
        }
        assert_eq!(plain[last], *f.seq.last().unwrap());
        let mut m = prepared.clone();
        m[last] = 0x01; // nop
        let e = barewasm_cli::load::validate_bytes(&m, &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::BadFusedInstruction, pos),
            "{}",
            f.name()
        );
    }
}

#[test]
fn any_byte_set_to_a_fused_opcode_is_rejected_or_runs_unfused() {
    let plain = all();
    let prepared = prepare(&plain, &Limits::DEFAULT).unwrap();
    let args = [&[3i64, 4][..], &[1], &[3]];
    let exports = ["f", "load", "loop"];
    let code = barewasm::binary::sections::Sections::index(&plain)
        .unwrap()
        .get(barewasm::binary::sections::SectionId::Code)
        .unwrap();
    let (mut rejected, mut accepted) = (0, 0);
    for pos in code.start as usize..code.end as usize {
        for f in TABLE {
            let mut m = prepared.clone();
            m[pos] = f.code;
            if barewasm_cli::load::validate_bytes(&m, &Limits::DEFAULT).is_err() {
                rejected += 1;
                continue;
            }
            accepted += 1;
            // It validated: it must run as the module it spells without fused opcodes,
            // with the same results and fuel.
            let unfused = unprepare(&m);
            let unfused_ok = barewasm_cli::load::validate_bytes(&unfused, &Limits::DEFAULT);
            assert!(
                unfused_ok.is_ok(),
                "byte {pos} = {}: {unfused_ok:?}",
                f.name()
            );
            for (export, a) in exports.iter().zip(args) {
                let want = outcome(&unfused, export, a, Metering::UNLIMITED);
                assert_eq!(
                    outcome(&m, export, a, Metering::UNLIMITED),
                    want,
                    "byte {pos} = {}",
                    f.name()
                );
            }
        }
    }
    // Most positions reject; some spell a sequence (an unfused one, or a fused opcode
    // swapped for another with the same first instruction and a matching rest).
    println!("{rejected} rejected, {accepted} accepted");
    assert!(rejected > 5 * accepted && accepted > 0);
}

#[test]
fn fusing_counts_and_changes_only_first_opcodes() {
    let plain = all();
    let mut m = plain.clone();
    let n = fuse(&mut m);
    assert_eq!(n, (0..plain.len()).filter(|&i| plain[i] != m[i]).count());
    assert!(n >= TABLE.len());
}
