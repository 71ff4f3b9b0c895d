#![no_main]
//! Fuzz target: capture parser (filled in by the capture stage owner).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
