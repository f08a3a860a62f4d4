//! The values inside mapRoles/mapUsers/mapAccounts (the authenticator's ParseMap): never panic, and every
//! entry span lies inside the value.
#![no_main]
use iamidmap::core::mapping::{ListKind, parse_accounts, parse_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [ListKind::Roles, ListKind::Users] {
        let list = parse_list(text, kind);
        for e in &list.entries {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "{e:?}"
            );
        }
    }
    let _ = parse_accounts(text);
});
