//! A generator of aws-auth data values for differential tests: what real files contain (block, flow and
//! JSON lists, quoting styles, YAML 1.1 scalars, templates, comments, CRLF, tabs, block scalars) mixed
//! with the constructs where YAML readers disagree (duplicate keys, merge keys and aliases, `.inf`, null
//! and uint64 keys, `!!binary`, explicit tags, directives, escapes, a second document, Unicode case
//! folding in keys and ARNs). Seeded, so every failure names a reproducible case.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "012345678901"];
const ROLE_NAMES: [&str; 8] = [
    "Admin",
    "admin",
    "eks-node",
    "Dev",
    "teams/platform/Admin",
    "aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
    "AWSReservedSSO_Admin_0123456789abcdef",
    "FargatePod",
];
const USER_NAMES: [&str; 7] = [
    "alice",
    "Alice",
    "ops/alice",
    "ops/Alice",
    "bob",
    "\u{17F}am",
    "Sam",
];
const GROUPS: [&str; 8] = [
    "system:masters",
    "system:nodes",
    "system:bootstrappers",
    "system:node-proxier",
    "developers",
    "viewers",
    "eks:kube-proxy-windows",
    "team-a",
];
const USERNAMES: [&str; 9] = [
    "admin",
    "system:node:{{EC2PrivateDNSName}}",
    "system:node:{{SessionName}}",
    "{{SessionName}}",
    "dev:{{SessionName}}",
    "{{AccountID}}-{{SessionNameRaw}}",
    "ops-user",
    "yes",
    "1234",
];

pub struct Doc {
    pub roles: Option<String>,
    pub users: Option<String>,
    pub accounts: Option<String>,
    /// ARNs worth asking about (from the document, with case, path and assumed-role variants).
    pub callers: Vec<String>,
}

struct Ctx {
    crlf: bool,
    anchors: Vec<String>,
    callers: Vec<String>,
}

fn role_arn(r: &mut Rng, ctx: &mut Ctx) -> String {
    let acct = r.pick(&ACCOUNTS);
    let name = r.pick(&ROLE_NAMES);
    let base = name.rsplit('/').next().unwrap_or(name);
    ctx.callers.push(format!(
        "arn:aws:sts::{acct}:assumed-role/{base}/{}",
        r.pick(&["session-1", "i-0123456789abcdef0", "jane@example.com"])
    ));
    ctx.callers.push(format!("arn:aws:iam::{acct}:role/{base}"));
    match r.below(14) {
        0 => format!("arn:aws:sts::{acct}:assumed-role/{base}/s"),
        1 => format!("arn:aws:iam::{acct}:role/{}", base.to_uppercase()),
        2 => format!("arn:aws:iam::{acct}:role/{}", base.replace('i', "\u{130}")),
        3 => format!("arn:aws:iam::{acct}:role/{}", base.replace('k', "\u{212A}")),
        4 => format!("arn:aws:iam::{acct}:user/{}", r.pick(&USER_NAMES)),
        5 => String::new(),
        6 => format!("arn:aws-cn:iam::{acct}:role/{base}"),
        _ => format!("arn:aws:iam::{acct}:role/{name}"),
    }
}

fn user_arn(r: &mut Rng, ctx: &mut Ctx) -> String {
    let acct = r.pick(&ACCOUNTS);
    let name = r.pick(&USER_NAMES);
    ctx.callers.push(format!("arn:aws:iam::{acct}:user/{name}"));
    ctx.callers
        .push(format!("arn:aws:iam::{acct}:user/{}", name.to_lowercase()));
    match r.below(10) {
        0 => format!("arn:aws:iam::{acct}:user/{}", name.to_uppercase()),
        1 => format!("arn:aws:iam::{acct}:root"),
        2 => format!("arn:aws:iam::{acct}:role/{}", r.pick(&ROLE_NAMES)),
        _ => format!("arn:aws:iam::{acct}:user/{name}"),
    }
}

/// A scalar in one of the styles real files use, or an odd one.
fn scalar(r: &mut Rng, text: &str) -> String {
    let needs_quotes = text.starts_with('{')
        || text.is_empty()
        || text.contains(": ")
        || text.contains(" #")
        || text.starts_with([
            '*', '&', '!', '%', '@', '`', '|', '>', '[', ']', ',', '"', '\'',
        ])
        || text.ends_with(':');
    match r.below(12) {
        0 | 1 => format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")),
        2 => format!("'{}'", text.replace('\'', "''")),
        3 => format!(
            "\"{}\"",
            text.chars()
                .map(|c| match c {
                    '/' if r.chance(20) => "\\/".to_string(),
                    'a' if r.chance(10) => "\\x61".to_string(),
                    's' if r.chance(10) => "\\u0073".to_string(),
                    '"' => "\\\"".to_string(),
                    '\\' => "\\\\".to_string(),
                    c => c.to_string(),
                })
                .collect::<String>()
        ),
        4 if !needs_quotes => format!("!!str {text}"),
        5 if !needs_quotes && r.chance(30) => {
            use base64::Engine;
            format!(
                "!!binary {}",
                base64::engine::general_purpose::STANDARD.encode(text)
            )
        }
        _ if needs_quotes => format!("\"{text}\""),
        _ => text.to_string(),
    }
}

fn odd_value(r: &mut Rng) -> String {
    r.pick(&[
        ".inf",
        "-.inf",
        ".nan",
        "1e400",
        "0x1F",
        "0755",
        "012345678912",
        "~",
        "null",
        "yes",
        "off",
        "2001-12-14",
        "!!int abc",
        "!!binary notbase64!",
        "!custom x",
        "!!float 1",
        "18446744073709551615",
        "[]",
        "{}",
        "[a, [b]]",
        "\"\\e[8m\"",
        "\"it\\'s\"",
        "\"\\ud83d\\ude00\"",
        "{{SessionName}}",
        "",
    ])
    .to_string()
}

fn key(r: &mut Rng, canonical: &str) -> String {
    let variants: &[&str] = match canonical {
        "rolearn" => &[
            "rolearn", "rolearn", "roleARN", "RoleArn", "ROLEARN", "rOlEaRn",
        ],
        "userarn" => &["userarn", "userarn", "userARN", "u\u{17F}erarn", "UserArn"],
        "username" => &["username", "username", "Username", "u\u{17F}ername"],
        "groups" => &["groups", "groups", "Groups", "group\u{17F}", "GROUPS"],
        other => return other.to_string(),
    };
    r.pick(variants).to_string()
}

fn groups_value(r: &mut Rng, indent: usize, eol: &str) -> String {
    let n = r.below(4);
    let gs: Vec<String> = (0..n).map(|_| r.pick(&GROUPS).to_string()).collect();
    match r.below(10) {
        0 => format!(" [{}]", gs.join(", ")),
        1 => format!(" {}", gs.first().cloned().unwrap_or_default()),
        2 => format!(" {}", odd_value(r)),
        3 if !gs.is_empty() => format!(" [{}, {}]", gs[0], odd_value(r)),
        _ if gs.is_empty() => " []".to_string(),
        _ => {
            let pad = " ".repeat(indent + r.below(2) * 2);
            gs.iter()
                .map(|g| format!("{eol}{pad}- {}", scalar(r, g)))
                .collect()
        }
    }
}

fn entry(r: &mut Rng, ctx: &mut Ctx, users: bool, eol: &str) -> String {
    let arn_key = if users { "userarn" } else { "rolearn" };
    let arn = if users {
        user_arn(r, ctx)
    } else {
        role_arn(r, ctx)
    };
    if r.chance(8) && !ctx.anchors.is_empty() {
        let a = r.pick(&ctx.anchors).clone();
        return format!("- *{a}{eol}");
    }
    if r.chance(6) {
        return format!("- {}{eol}", odd_value(r));
    }
    let flow = r.chance(15);
    let mut fields: Vec<(String, String)> = vec![];
    fields.push((key(r, arn_key), format!(" {}", scalar(r, &arn))));
    if r.chance(85) {
        let u = r.pick(&USERNAMES).to_string();
        let v = if r.chance(8) {
            odd_value(r)
        } else if r.chance(6) {
            // Block scalars as some writers emit them: folded, literal with an indentation indicator,
            // stripped or kept final newlines.
            let header = r
                .pick(&[">", ">-", "|", "|-", "|2", "|2-", "|+", ">+"])
                .to_string();
            format!("{header}{eol}    {u}")
        } else {
            scalar(r, &u)
        };
        fields.push((key(r, "username"), format!(" {v}")));
    }
    if r.chance(90) {
        fields.push((key(r, "groups"), groups_value(r, 4, eol)));
    }
    if r.chance(6) {
        fields.push((arn_key.to_string(), format!(" {}", scalar(r, &arn))));
    }
    if r.chance(5) {
        fields.push(("groups".into(), " [system:masters]".into()));
    }
    if !users && r.chance(4) {
        fields.push((
            "sso".into(),
            r.pick(&[
                " []",
                " {permissionSetName: Admin, accountID: \"111122223333\"}",
                " ~",
                " x",
            ])
            .to_string(),
        ));
    }
    if r.chance(4) {
        fields.push((
            r.pick(&[
                "~",
                "? [a]",
                "18446744073709551615",
                "1.5",
                "true",
                "unknown",
            ])
            .to_string(),
            " x".into(),
        ));
    }
    if r.chance(7) && !ctx.anchors.is_empty() {
        let a = r.pick(&ctx.anchors).clone();
        let pos = r.below(fields.len() + 1);
        let v = match r.below(5) {
            0 => format!(" [*{a}]"),
            1 => " 1".to_string(),
            _ => format!(" *{a}"),
        };
        fields.insert(pos, ("<<".into(), v));
    }
    let anchor = if r.chance(12) {
        let name = format!("a{}", ctx.anchors.len());
        ctx.anchors.push(name.clone());
        format!("&{name} ")
    } else {
        String::new()
    };
    if flow {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let v = v.trim();
                let v = if v.contains(eol) || v.starts_with('-') || v.is_empty() {
                    "[x]".to_string()
                } else {
                    v.to_string()
                };
                format!("{k}: {v}")
            })
            .collect();
        return format!("- {anchor}{{{}}}{eol}", body.join(", "));
    }
    let mut out = String::new();
    let dash = if r.chance(3) { "-\t" } else { "- " };
    for (i, (k, v)) in fields.iter().enumerate() {
        let lead = if i == 0 {
            format!("{dash}{anchor}")
        } else {
            "  ".to_string()
        };
        if r.chance(5) {
            out.push_str(&format!("  # a comment{eol}"));
        }
        let trailing = if r.chance(5) { " # note" } else { "" };
        let v = if v.contains(eol) || v.is_empty() {
            v.clone()
        } else {
            format!("{v}{trailing}")
        };
        out.push_str(&format!("{lead}{k}:{v}{eol}"));
    }
    out
}

fn list(r: &mut Rng, ctx: &mut Ctx, users: bool) -> String {
    let eol = if ctx.crlf { "\r\n" } else { "\n" };
    let n = r.below(5);
    if r.chance(12) {
        // JSON, as serialisers write it (sometimes with `\/` escapes or text after the array).
        let items: Vec<String> = (0..n.max(1))
            .map(|_| {
                let arn = if users {
                    user_arn(r, ctx)
                } else {
                    role_arn(r, ctx)
                };
                let arn = if r.chance(20) {
                    arn.replace('/', "\\/")
                } else {
                    arn
                };
                let k = if users { "userarn" } else { "rolearn" };
                format!(
                    "{{\"{k}\":\"{arn}\",\"username\":\"{}\",\"groups\":[\"{}\"]}}",
                    r.pick(&USERNAMES),
                    r.pick(&GROUPS)
                )
            })
            .collect();
        let tail = if r.chance(20) { " trailing" } else { "" };
        return format!("[{}]{tail}", items.join(","));
    }
    let mut out = String::new();
    if r.chance(4) {
        out.push_str(r.pick::<&str>(&["%YAML 1.1\n---\n", "%YAML 1.2\n---\n", "%FOO x\n---\n"]));
    }
    if r.chance(10) {
        out.push_str(&format!("# managed by hand{eol}"));
    }
    for _ in 0..n {
        out.push_str(&entry(r, ctx, users, eol));
        if r.chance(10) {
            out.push_str(eol);
        }
    }
    if r.chance(4) {
        out.push_str(r.pick::<&str>(&["---\n- [broken\n", "---\n- rolearn: x\n", "...\n"]));
    }
    out
}

fn accounts(r: &mut Rng, ctx: &mut Ctx) -> String {
    let eol = if ctx.crlf { "\r\n" } else { "\n" };
    let n = r.below(4);
    let mut out = String::new();
    for _ in 0..n {
        let a = r.pick(&ACCOUNTS).to_string();
        ctx.callers.push(format!("arn:aws:iam::{a}:user/nobody"));
        let v = match r.below(10) {
            0 => format!("\"{a}\""),
            1 => odd_value(r),
            2 => format!("[{a}]"),
            3 => format!("!!int {a}"),
            _ => a,
        };
        let dash = if r.chance(5) { "-\t" } else { "- " };
        out.push_str(&format!("{dash}{v}{eol}"));
    }
    if r.chance(10) {
        return format!("[{}]", ACCOUNTS[..r.below(3)].join(", "));
    }
    out
}

/// A few random edits of the text: the characters YAML scanners treat specially, control and
/// Unicode line-break characters, deleted and doubled lines. This is where scanners differ.
fn mutate(r: &mut Rng, text: &str) -> String {
    const INSERTS: [&str; 30] = [
        "\t", " ", "\n", "#", ":", "{", "}", "[", "]", "\"", "'", "\\", "-", "&", "*", "!", "|",
        ">", "%", "@", "`", "?", ",", "\u{1b}", "\u{85}", "\u{2028}", "\u{feff}", "\r", "  ", "~",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + r.below(3) {
        let at = r.below(chars.len() + 1);
        match r.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let line: String = chars.iter().collect();
                let lines: Vec<&str> = line.split_inclusive('\n').collect();
                if !lines.is_empty() {
                    let i = r.below(lines.len());
                    let mut out: Vec<&str> = lines.clone();
                    out.insert(i, lines[i]);
                    chars = out.concat().chars().collect();
                }
            }
            _ => {
                let ins: Vec<char> = r.pick(&INSERTS).chars().collect();
                for (k, c) in ins.into_iter().enumerate() {
                    chars.insert(at.min(chars.len()) + k, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// Values beyond the entry lists: scalars, mappings, anchors on scalars, block scalars in entries,
/// long keys, complex keys.
fn unusual_list(r: &mut Rng, users: bool) -> String {
    let k = if users { "userarn" } else { "rolearn" };
    let long = "x".repeat(1100);
    r.pick(&[
        format!("{k}: arn:aws:iam::111122223333:role/Admin\n"),
        "just a string\n".to_string(),
        "null\n".to_string(),
        "~".to_string(),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  username: &u admin\n  groups: &g [system:masters]\n- {k}: arn:aws:iam::111122223333:role/Dev\n  username: *u\n  groups: *g\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  username: |\n    admin\n  groups:\n    - system:masters\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n     - system:nodes\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  {long}: x\n"),
        format!("- ? {k}\n  : arn:aws:iam::111122223333:role/Admin\n  groups: [system:masters]\n"),
        format!("- &e {{{k}: arn:aws:iam::111122223333:role/Admin, groups: [system:masters]}}\n- <<: *e\n  username: x\n- <<: [*e, {{username: y}}]\n"),
        format!("- &s [a]\n- <<: *s\n  {k}: arn:aws:iam::111122223333:role/Admin\n"),
        format!("\u{feff}- {k}: arn:aws:iam::111122223333:role/Admin\n  groups: [system:masters]\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  rolearn: arn:aws:iam::111122223333:role/Other\n  sso: {{permissionSetName: Admin, accountID: '111122223333'}}\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  groups: !!seq [system:masters]\n  username: !!null ''\n"),
        format!("- !!map {{{k}: arn:aws:iam::111122223333:role/Admin, groups: [system:masters]}}\n"),
        format!("- {k}: arn:aws:iam::111122223333:role/Admin\n  groups:\n  - system:masters\n  username: admin\n"),
    ])
    .clone()
}

pub fn document(seed: u64) -> Doc {
    let mut r = Rng::new(seed);
    let mut ctx = Ctx {
        crlf: r.chance(8),
        anchors: vec![],
        callers: vec![],
    };
    let mut roles = r.chance(90).then(|| list(&mut r, &mut ctx, false));
    let mut users = r.chance(60).then(|| list(&mut r, &mut ctx, true));
    let mut accounts = r.chance(25).then(|| accounts(&mut r, &mut ctx));
    if r.chance(10) {
        roles = Some(unusual_list(&mut r, false));
        ctx.callers
            .push("arn:aws:iam::111122223333:role/Admin".into());
        ctx.callers
            .push("arn:aws:iam::111122223333:role/Dev".into());
    }
    if r.chance(5) {
        users = Some(unusual_list(&mut r, true));
    }
    for v in [&mut roles, &mut users, &mut accounts] {
        if let Some(text) = v
            && r.chance(15)
        {
            *text = mutate(&mut r, text);
        }
    }
    ctx.callers
        .push("arn:aws:iam::999999999999:user/stranger".into());
    ctx.callers.push("arn:aws:iam:::user/no-account".into());
    ctx.callers.sort();
    ctx.callers.dedup();
    Doc {
        roles,
        users,
        accounts,
        callers: ctx.callers,
    }
}
