#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| barewasm_fuzz::targets::differential(data));
