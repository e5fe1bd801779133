#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| fireball_fuzz::protocols::smp(bytes));
