#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| barewasm_fuzz::targets::decode_validate(data));
