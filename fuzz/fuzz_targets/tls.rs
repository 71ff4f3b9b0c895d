#![no_main]
//! Fuzz target: tls parser (filled in by the tls stage owner).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
