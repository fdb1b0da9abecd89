#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| barewasm_fuzz::targets::validate_oracle(data));
