#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| promptstudio::fuzzing::csv(data));
