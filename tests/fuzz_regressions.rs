//! Every input a fuzz target once failed on (tests/fuzz-regressions/, named `<target>-<what>`), run
//! through the very property function the target calls (fuzz/props.rs).

#[path = "../fuzz/props.rs"]
mod props;

#[test]
fn fuzz_failures_stay_fixed() {
    let dir = crate::support::manifest_dir().join("tests/fuzz-regressions");
    let names = crate::support::files_in(&dir);
    assert!(!names.is_empty());
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let property: fn(&[u8]) = match name.split('-').next() {
            Some("document") => props::document,
            Some("edit") => props::edit,
            Some("inner_list") | Some("inner") => props::inner_list,
            _ => panic!("{name}: unknown target prefix"),
        };
        if let Err(e) = std::panic::catch_unwind(|| property(&bytes)) {
            panic!("{name}: {e:?}");
        }
    }
}

/// The edit property on every kind of edit the first byte can pick, on a document where each applies.
#[test]
fn the_edit_property_holds_on_every_edit_kind() {
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/A\n      username: a\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/b\n      username: b\n";
    for choice in 0u8..8 {
        let mut data = vec![choice];
        data.extend_from_slice(manifest.as_bytes());
        props::edit(&data);
    }
}

/// The edit property on every fixture (and corpus file, when it is there), for every kind of edit.
#[test]
fn the_edit_property_holds_on_every_fixture_and_corpus_file() {
    let mut dirs = vec![crate::support::fixtures_dir()];
    dirs.extend(crate::support::corpus_dir());
    let mut checked = 0;
    for dir in dirs {
        for name in crate::support::files_in(&dir) {
            let text = std::fs::read(dir.join(&name)).unwrap();
            for choice in 0u8..12 {
                let mut data = vec![choice];
                data.extend_from_slice(&text);
                if let Err(e) = std::panic::catch_unwind(|| props::edit(&data)) {
                    panic!("{name}, edit {choice}: {e:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 400, "{checked}");
}
