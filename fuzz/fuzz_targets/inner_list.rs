//! The values inside mapRoles/mapUsers/mapAccounts (the authenticator's ParseMap): never panic, and every
//! entry span lies inside the value.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../props.rs"]
mod props;

fuzz_target!(|data: &[u8]| props::inner_list(data));
