//! The lossless editor on arbitrary manifests: an edit either fails cleanly or gives a document that reads
//! back as exactly the planned mappings, and everything before the first changed byte stays as it was.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../props.rs"]
mod props;

fuzz_target!(|data: &[u8]| props::edit(data));
