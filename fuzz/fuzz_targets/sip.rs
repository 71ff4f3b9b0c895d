#![no_main]
//! Fuzz target: sip parser (filled in by the sip stage owner).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
