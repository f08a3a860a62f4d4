use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::mapping::{DataKey, ListKind, ListShape};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let doc = match AuthDocument::parse(&name, text.clone()) {
            Ok(d) => d,
            Err(e) => { println!("{name}: PARSE-ERR {e}"); continue; }
        };
        let list = if doc.slot(DataKey::MapRoles).is_some() || doc.slot(DataKey::MapUsers).is_none() { ListKind::Roles } else { ListKind::Users };
        let plan = EditPlan::AddEntry(NewEntry { list, arn: "arn:aws:iam::111122223333:role/iamidmap-probe".into(), username: Some("probe".into()), groups: vec!["probe-group".into()] });
        match doc.apply(&plan) {
            Err(e) => println!("{name}: create refused: {e}"),
            Ok(out) => {
                let d2 = AuthDocument::parse(&name, out.text.clone()).unwrap();
                let idx = d2.list(list).entries.len() - 1;
                match d2.apply(&EditPlan::RemoveEntry { list, index: idx }) {
                    Err(e) => println!("{name}: DELETE FAILED {e}"),
                    Ok(back) => {
                        let same = back.text == text;
                        let shape = doc.list(list).shape;
                        println!("{name}: {} {:?} notes={:?}", if same {"roundtrip-ok"} else {"ROUNDTRIP-DIFF"}, shape, out.notes);
                        let _ = ListShape::Block;
                    }
                }
            }
        }
    }
}
