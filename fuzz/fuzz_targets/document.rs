//! Whole manifests: reading and linting never panic, and every finding is located inside the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../props.rs"]
mod props;

fuzz_target!(|data: &[u8]| props::document(data));
