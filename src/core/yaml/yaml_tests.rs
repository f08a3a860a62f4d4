use super::*;

fn json(text: &str) -> Result<Option<SpannedJson>, String> {
    FirstDocument::parse(text)
        .map_err(|e| e.message)?
        .into_json()
        .map_err(|f| f.message)
}

fn object_keys(j: &SpannedJson) -> Vec<(String, String)> {
    let Json::Object { fields, .. } = &j.value else {
        panic!("not an object: {j:?}")
    };
    fields
        .iter()
        .map(|f| {
            let v = match &f.value.value {
                Json::String(s) => s.clone(),
                other => format!("{other:?}"),
            };
            (f.key.clone(), v)
        })
        .collect()
}

#[test]
fn spans_are_byte_offsets() {
    let text = "a: é\nb: [x, y]\n";
    let docs = parse_stream(text).unwrap();
    let b = docs[0].get("b").unwrap();
    assert_eq!(&text[b.span.start..b.span.end], "[x, y]");
    assert_eq!(b.span.line, 2);
    assert_eq!(b.span.col, 4);
    let a = docs[0].get("a").unwrap();
    assert_eq!(&text[a.span.start..a.span.end], "é");
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    let j = json("- rolearn: a\n  rolearn: b\n").unwrap().unwrap();
    let Json::Array(items) = &j.value else {
        panic!()
    };
    assert_eq!(object_keys(&items[0]), vec![("rolearn".into(), "b".into())]);
    let Json::Object { shadowed, .. } = &items[0].value else {
        panic!()
    };
    assert_eq!(shadowed.len(), 1);
    assert_eq!(shadowed[0].1.line, 1);
}

#[test]
fn merge_keys_are_applied_in_order() {
    let text = "- &a {groups: [system:masters], username: admin}\n- <<: *a\n  username: x\n- username: y\n  <<: *a\n";
    let j = json(text).unwrap().unwrap();
    let Json::Array(items) = &j.value else {
        panic!()
    };
    let second = object_keys(&items[1]);
    assert!(second.contains(&("username".into(), "x".into())));
    assert!(second.iter().any(|(k, _)| k == "groups"));
    // A merge after an explicit key overwrites it (go-yaml v2 assigns in order).
    assert!(object_keys(&items[2]).contains(&("username".into(), "admin".into())));
    assert!(json("- <<: [a]\n").is_err());
    assert!(json("- <<: 1\n").is_err());
}

#[test]
fn what_makes_the_yaml_step_fail() {
    for bad in [
        "- ~: x\n",
        "- a: .inf\n",
        "- a: [-.inf]\n",
        "- .nan\n",
        "- !!binary notbase64\n",
        "-\tx\n",
        "%YAML 1.2\n---\n- a\n",
        "%FOO bar\n---\n- a\n",
        "- \"a\\/b\"\n",
        "- \"\\ud83d\\ude00\"\n",
        "- username: {{SessionName}}\n",
        "- 18446744073709551615: x\n",
        "- !!int abc\n",
        "- *unknown\n",
        "- &a [*a]\n",
        "- \"\u{1b}\"\n",
    ] {
        assert!(json(bad).is_err(), "{bad:?} should fail");
    }
}

#[test]
fn what_the_yaml_step_keeps() {
    assert!(json("[a, b] trailing text\n").unwrap().is_some());
    assert!(json("- a\n---\n- [broken\n").unwrap().is_some());
    let j = json("- \"it\\'s\"\n").unwrap().unwrap();
    let Json::Array(items) = &j.value else {
        panic!()
    };
    assert_eq!(items[0].value, Json::String("it's".into()));
    let j = json("- !!binary aGk=\n- 1e400\n- \"\\e\"\n")
        .unwrap()
        .unwrap();
    let Json::Array(items) = &j.value else {
        panic!()
    };
    assert_eq!(items[0].value, Json::String("hi".into()));
    assert_eq!(items[1].value, Json::String("1e400".into()));
    assert_eq!(items[2].value, Json::String("\u{1b}".into()));
    assert!(json("- .inf: x\n").is_ok());
}

#[test]
fn alias_bombs_fail_fast_and_small() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='z' {
        bomb.push_str(&format!(
            "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = c;
    }
    let e = json(&bomb).unwrap_err();
    assert!(e.contains("excessive aliasing"), "{e}");
    assert!(parse_stream(&bomb).is_err());
    let deep = "[".repeat(10_000);
    assert!(parse_stream(&deep).is_err());
}

#[test]
fn accounts_decode_into_strings() {
    let d = FirstDocument::parse("- 0123\n- ~\n- [x]\n- !!binary aGk=\n")
        .unwrap()
        .into_strings();
    let items: Vec<&str> = d.items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(items, ["0123", "", "hi"]);
    assert_eq!(d.type_errors.len(), 1);
    let d = FirstDocument::parse("- '111122223333'\n- !!int abc\n- '222233334444'\n")
        .unwrap()
        .into_strings();
    assert_eq!(
        d.items.len(),
        1,
        "go-yaml keeps what it decoded before failing"
    );
    assert!(d.fatal.is_some());
}

#[test]
fn errors_are_located_and_worded_like_go_yaml() {
    let e = FirstDocument::parse("- a\n- b: c\n  d\n").unwrap_err();
    // Located at the key that lacks its `:`, worded as go-yaml words it (it counts the line it gave up on).
    assert_eq!((e.line, e.col), (3, 3));
    assert!(
        e.message.starts_with("line 4: could not find expected ':'"),
        "{}",
        e.message
    );
    let e = FirstDocument::parse("a: b\nc: \"x\n").unwrap_err();
    assert!(
        e.message.contains("found unexpected end of stream"),
        "{}",
        e.message
    );
}

#[test]
fn simple_keys_are_forgotten_by_token_number_as_go_yaml_forgets_them() {
    // go-yaml deletes a flow level's simple key by token number, which here is also the number of the
    // outer `[`'s key: the scanner stops after the first document and never sees the open quote.
    assert!(json("[][]\"").unwrap().is_some());
    // And a key whose token was consumed is appended, not inserted (go-yaml's negative position).
    assert!(json("[]:").unwrap().is_some());
    assert!(json("- {}:\n- a\n").is_err());
}

#[test]
fn manifests_are_checked_like_kubectl_converts_them() {
    assert!(parse_stream("a: .inf\nb: 1\n").is_err());
    assert!(parse_stream("a: {~: 1}\n").is_err());
    assert!(parse_stream("a: .inf\na: 1\n").is_ok());
    let docs = parse_stream("a: x\nb: [y]\n").unwrap();
    assert_eq!(docs[0].get("a").and_then(Node::as_str), Some("x"));
}
