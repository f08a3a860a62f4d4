//! What aws-iam-authenticator's YAML step makes of a document: go-yaml v2's decoder into `interface{}`
//! (`decode.go`: last duplicate key wins, merge keys `<<` applied, aliases re-decoded under the
//! excessive-aliasing ratio rule, anchors that contain themselves refused), then sigs.k8s.io/yaml's
//! conversion to JSON (null and uint64 keys refused, other keys stringified) and encoding/json's marshal
//! (`.inf`/`.nan` refused, invalid UTF-8 replaced). `mapAccounts` takes go-yaml's other path, straight
//! into `[]string` ([`decode_strings`]).

use super::compose::{AKind, ANode, Arena};
use super::resolve::{GoScalar, decode_scalar, is_merge, short_tag};
use super::{Json, JsonField, Span, SpannedJson, Style};

/// What the decoder does with scalar texts: move them out of the arena (it is not read again), copy
/// them, or leave them out (a check of what the YAML->JSON step accepts, where only keys matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Texts {
    Move,
    Copy,
    Skip,
}

/// Why the document cannot be decoded: the authenticator drops the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    pub message: String,
    pub span: Span,
}

type DResult<T> = Result<T, DecodeFailure>;

const RATIO_LOW: u64 = 400_000;
const RATIO_HIGH: u64 = 4_000_000;

fn allowed_alias_ratio(decode_count: u64) -> f64 {
    if decode_count <= RATIO_LOW {
        0.99
    } else if decode_count >= RATIO_HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - RATIO_LOW) as f64 / (RATIO_HIGH - RATIO_LOW) as f64)
    }
}

/// A key as go-yaml puts it in a `map[interface{}]interface{}` (equal keys overwrite each other).
#[derive(Debug, Clone, PartialEq)]
enum GoKey {
    /// A string key: its text is the field's key.
    Str,
    Int(i64),
    Uint(u64),
    Float(u64),
    /// NaN never equals anything, itself included: each one is a key of its own.
    Nan(usize),
    Bool(bool),
    Null,
}

struct Decoder<'a> {
    arena: &'a [ANode],
    /// The scalar texts; moved out when no node can be decoded twice (no aliases), cloned otherwise.
    values: &'a mut [String],
    texts: Texts,
    /// Decoding a mapping key (whose text a `Skip` check still needs).
    in_key: bool,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    expanding: Vec<bool>,
    merging: u32,
    nans: usize,
}

/// An object being filled: fields in first-assignment order, overwritten in place.
#[derive(Default)]
struct ObjectBuilder {
    keys: Vec<GoKey>,
    fields: Vec<JsonField>,
    shadowed: Vec<(String, Span)>,
}

impl ObjectBuilder {
    fn set(&mut self, key: GoKey, field: JsonField) {
        let same = |(i, k): (usize, &GoKey)| {
            *k == key && (key != GoKey::Str || self.fields[i].key == field.key)
        };
        match self.keys.iter().enumerate().position(same) {
            Some(i) => {
                let old = std::mem::replace(&mut self.fields[i], field);
                // Overriding what a merge key brought in is what merges are for; only keys written in
                // the mapping itself and then set again are worth telling.
                if !old.inherited {
                    self.shadowed.push((old.key, old.key_span));
                }
            }
            None => {
                self.keys.push(key);
                self.fields.push(field);
            }
        }
    }
}

fn go_float32_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    format!("{}", f as f32)
}

impl<'a> Decoder<'a> {
    fn new(arena: &'a mut Arena, texts: Texts) -> Self {
        let n = arena.nodes.len();
        let texts = match texts {
            Texts::Move if arena.has_alias => Texts::Copy,
            t => t,
        };
        Decoder {
            arena: &arena.nodes,
            values: &mut arena.values,
            texts,
            in_key: false,
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            expanding: vec![false; n],
            merging: 0,
            nans: 0,
        }
    }

    fn span(&self, id: usize) -> Span {
        self.arena[id].span
    }

    /// A scalar's text, moved out when it will not be needed again.
    fn text(&mut self, id: usize) -> String {
        match self.texts {
            Texts::Move => std::mem::take(&mut self.values[id]),
            Texts::Copy => self.values[id].clone(),
            Texts::Skip if !self.in_key => String::new(),
            Texts::Skip => self.values[id].clone(),
        }
    }

    fn fail<T>(&self, id: usize, message: impl Into<String>) -> DResult<T> {
        Err(DecodeFailure {
            message: message.into(),
            span: self.span(id),
        })
    }

    /// The accounting at the top of `decoder.unmarshal`.
    fn count(&mut self, id: usize) -> DResult<()> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return self.fail(id, "document contains excessive aliasing");
        }
        Ok(())
    }

    fn enter_alias(&mut self, id: usize) -> DResult<usize> {
        let AKind::Alias { target, name } = &self.arena[id].kind else {
            unreachable!("an alias node")
        };
        if self.expanding[id] {
            return self.fail(id, format!("anchor '{name}' value contains itself"));
        }
        self.expanding[id] = true;
        self.alias_depth += 1;
        Ok(*target)
    }

    fn leave_alias(&mut self, id: usize) {
        self.alias_depth -= 1;
        self.expanding[id] = false;
    }

    /// `decoder.unmarshal(n, interface{})`.
    fn value(&mut self, id: usize) -> DResult<SpannedJson> {
        self.count(id)?;
        let arena = self.arena;
        let node = &arena[id];
        match &node.kind {
            AKind::Alias { .. } => {
                let target = self.enter_alias(id)?;
                let mut v = self.value(target);
                self.leave_alias(id);
                if let Ok(v) = &mut v {
                    v.span = node.span;
                    v.alias = true;
                }
                v
            }
            AKind::Scalar {
                style,
                tag,
                implicit,
            } => {
                let decoded = decode_scalar(&self.values[id], tag.as_deref(), *implicit);
                let json = match decoded {
                    Err(m) => return self.fail(id, m),
                    Ok(GoScalar::Null) => Json::Null,
                    Ok(GoScalar::Bool(b)) => Json::Bool(b),
                    Ok(GoScalar::Int(i)) => Json::Number(i.to_string()),
                    Ok(GoScalar::Uint(u)) => Json::Number(u.to_string()),
                    // Go's json.Marshal refuses non-finite floats, but only those still in the final
                    // value (a later duplicate key may replace one): marked here, checked at the end.
                    Ok(GoScalar::Float(f)) if f.is_nan() => Json::Number(NAN.into()),
                    Ok(GoScalar::Float(f)) if f.is_infinite() && f > 0.0 => {
                        Json::Number(POS_INF.into())
                    }
                    Ok(GoScalar::Float(f)) if f.is_infinite() => Json::Number(NEG_INF.into()),
                    Ok(GoScalar::Float(_)) => Json::Number(self.values[id].clone()),
                    Ok(GoScalar::Text | GoScalar::Timestamp) => Json::String(self.text(id)),
                    Ok(GoScalar::Binary(b)) => {
                        Json::String(crate::core::gostr::utf8_replace_go(&b))
                    }
                };
                Ok(SpannedJson {
                    value: json,
                    span: node.span,
                    style: Some(*style),
                    flow: false,
                    alias: false,
                    tag: tag.as_deref().filter(|t| *t != "!").map(short_tag),
                })
            }
            AKind::Seq { items, flow } => {
                let mut out = Vec::with_capacity(items.len());
                for &i in items {
                    out.push(self.value(i)?);
                }
                Ok(SpannedJson {
                    value: Json::Array(out),
                    span: node.span,
                    style: None,
                    flow: *flow,
                    alias: false,
                    tag: None,
                })
            }
            AKind::Map { flow, .. } => {
                let mut obj = ObjectBuilder::default();
                self.mapping(id, &mut obj)?;
                Ok(SpannedJson {
                    value: Json::Object {
                        fields: obj.fields,
                        shadowed: obj.shadowed,
                    },
                    span: node.span,
                    style: None,
                    flow: *flow,
                    alias: false,
                    tag: None,
                })
            }
        }
    }

    /// `decoder.mapping(n, map)`: keys decoded, merges applied, later assignments win.
    fn mapping(&mut self, id: usize, obj: &mut ObjectBuilder) -> DResult<()> {
        let arena = self.arena;
        let AKind::Map { pairs, .. } = &arena[id].kind else {
            unreachable!("a mapping node")
        };
        for &(k, v) in pairs {
            if let AKind::Scalar { tag, implicit, .. } = &arena[k].kind
                && is_merge(&self.values[k], tag.as_deref(), *implicit)
            {
                self.merge(v, obj)?;
                continue;
            }
            self.in_key = true;
            let key = self.value(k);
            self.in_key = false;
            let key = key?;
            let go_key = match &key.value {
                Json::Array(_) | Json::Object { .. } => {
                    return self.fail(k, "invalid map key: a mapping or sequence cannot be a key");
                }
                Json::Null => GoKey::Null,
                Json::Bool(b) => GoKey::Bool(*b),
                Json::String(_) => GoKey::Str,
                Json::Number(_) => self.numeric_key(k),
            };
            let (key_text, bad_key) = match &go_key {
                GoKey::Str => match key.value {
                    Json::String(s) => (s, None),
                    _ => (String::new(), None),
                },
                GoKey::Int(i) => (i.to_string(), None),
                GoKey::Bool(b) => (b.to_string(), None),
                GoKey::Float(bits) => (go_float32_g(f64::from_bits(*bits)), None),
                GoKey::Nan(_) => (".nan".into(), None),
                GoKey::Uint(u) => (
                    u.to_string(),
                    Some(format!("unsupported map key of type: uint64, key: {u:#x}")),
                ),
                GoKey::Null => (
                    "null".into(),
                    Some("unsupported map key of type: %!s(<nil>), key: <nil>".to_string()),
                ),
            };
            let value = self.value(v)?;
            obj.set(
                go_key,
                JsonField {
                    key: key_text,
                    key_span: key.span,
                    value,
                    inherited: self.merging > 0,
                    unconvertible_key: bad_key,
                },
            );
        }
        Ok(())
    }

    fn numeric_key(&mut self, k: usize) -> GoKey {
        let arena = self.arena;
        let k = self.resolve_alias(k);
        let AKind::Scalar { tag, implicit, .. } = &arena[k].kind else {
            return GoKey::Null;
        };
        let value = &self.values[k];
        match decode_scalar(value, tag.as_deref(), *implicit) {
            Ok(GoScalar::Int(i)) => GoKey::Int(i),
            Ok(GoScalar::Uint(u)) => GoKey::Uint(u),
            Ok(GoScalar::Float(f)) if f.is_nan() => {
                self.nans += 1;
                GoKey::Nan(self.nans)
            }
            Ok(GoScalar::Float(f)) => GoKey::Float(f.to_bits()),
            _ => GoKey::Str,
        }
    }

    fn resolve_alias(&self, mut id: usize) -> usize {
        while let AKind::Alias { target, .. } = self.arena[id].kind {
            id = target;
        }
        id
    }

    /// `decoder.merge`: the value of `<<` must be a mapping, an alias of one, or a sequence of those
    /// (applied last to first, so earlier ones win).
    fn merge(&mut self, v: usize, obj: &mut ObjectBuilder) -> DResult<()> {
        const WANT_MAP: &str = "map merge requires map or sequence of maps as the value";
        let is_map = |arena: &[ANode], id: usize| matches!(arena[id].kind, AKind::Map { .. });
        self.merging += 1;
        let arena = self.arena;
        let result = match &arena[v].kind {
            AKind::Map { .. } => self.merge_into(v, obj),
            AKind::Alias { target, .. } => {
                if !is_map(self.arena, *target) {
                    self.fail(v, WANT_MAP)
                } else {
                    self.merge_into(v, obj)
                }
            }
            AKind::Seq { items, .. } => {
                let mut r = Ok(());
                for &item in items.iter().rev() {
                    let ok = match &arena[item].kind {
                        AKind::Alias { target, .. } => is_map(self.arena, *target),
                        AKind::Map { .. } => true,
                        _ => false,
                    };
                    if !ok {
                        r = self.fail(item, WANT_MAP);
                        break;
                    }
                    if let Err(e) = self.merge_into(item, obj) {
                        r = Err(e);
                        break;
                    }
                }
                r
            }
            AKind::Scalar { .. } => self.fail(v, WANT_MAP),
        };
        self.merging -= 1;
        result
    }

    /// `decoder.unmarshal(n, out)` with `out` an existing map (a merge).
    fn merge_into(&mut self, id: usize, obj: &mut ObjectBuilder) -> DResult<()> {
        self.count(id)?;
        let arena = self.arena;
        match &arena[id].kind {
            AKind::Alias { .. } => {
                let target = self.enter_alias(id)?;
                let r = self.merge_into(target, obj);
                self.leave_alias(id);
                r
            }
            AKind::Map { .. } => self.mapping(id, obj),
            _ => Ok(()),
        }
    }
}

const NAN: &str = "NaN";
const POS_INF: &str = "+Inf";
const NEG_INF: &str = "-Inf";

/// sigs.k8s.io/yaml's key conversion and encoding/json's marshal, on the final value: a key it cannot
/// stringify (null, uint64) or a non-finite float fails the whole conversion.
fn convertible(v: &SpannedJson) -> DResult<()> {
    match &v.value {
        Json::Number(n) if n == NAN || n == POS_INF || n == NEG_INF => Err(DecodeFailure {
            message: format!("json: unsupported value: {n}"),
            span: v.span,
        }),
        Json::Array(items) => items.iter().try_for_each(convertible),
        Json::Object { fields, .. } => fields.iter().try_for_each(|f| {
            if let Some(m) = &f.unconvertible_key {
                return Err(DecodeFailure {
                    message: m.clone(),
                    span: f.key_span,
                });
            }
            convertible(&f.value)
        }),
        _ => Ok(()),
    }
}

/// The JSON the authenticator's YAML step produces from a document's root, or why it produces none.
pub(crate) fn to_json(arena: &mut Arena, root: usize, texts: Texts) -> DResult<SpannedJson> {
    let mut d = Decoder::new(arena, texts);
    // The document node itself is one decode.
    d.decode_count += 1;
    let v = d.value(root)?;
    convertible(&v)?;
    Ok(v)
}

/// A `mapAccounts` value decoded by go-yaml straight into `[]string`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StringsDecode {
    /// Each string with its node's span and style (aliases: the alias's span).
    pub items: Vec<(String, Span, Style)>,
    /// Items go-yaml skips with a type error (`cannot unmarshal !!map into string`).
    pub type_errors: Vec<(String, Span)>,
    /// The whole value is not a list (a type error; nothing is read).
    pub not_a_list: Option<(String, Span)>,
    /// A failure that stopped decoding; the items before it are kept, as go-yaml keeps them.
    pub fatal: Option<DecodeFailure>,
    /// After such a failure, how many empty strings go-yaml's half-filled slice still holds.
    pub padding: usize,
    /// The value decoded to null (no list, no error).
    pub null: bool,
}

fn tag_name(kind: &AKind) -> &'static str {
    match kind {
        AKind::Seq { .. } => "!!seq",
        AKind::Map { .. } => "!!map",
        _ => "!!str",
    }
}

pub(crate) fn decode_strings(arena: &mut Arena, root: usize) -> StringsDecode {
    let mut d = Decoder::new(arena, Texts::Move);
    let mut out = StringsDecode::default();
    d.decode_count += 1;
    if let Err(e) = string_slice(&mut d, root, &mut out) {
        out.fatal = Some(e);
    }
    out
}

fn string_slice(d: &mut Decoder<'_>, id: usize, out: &mut StringsDecode) -> DResult<()> {
    d.count(id)?;
    let arena = d.arena;
    let node = &arena[id];
    match &node.kind {
        AKind::Alias { .. } => {
            let target = d.enter_alias(id)?;
            let r = string_slice(d, target, out);
            d.leave_alias(id);
            r
        }
        AKind::Seq { items, .. } => {
            for &i in items {
                let item = match string_item(d, i) {
                    Ok(item) => item,
                    Err(e) => {
                        // go-yaml made the slice `len(items)` long up front and panics out of the
                        // loop: the slots not filled yet stay empty strings in the result.
                        out.padding = items.len() - out.items.len();
                        return Err(e);
                    }
                };
                match item {
                    Ok(s) => out.items.push((s, d.span(i), item_style(arena, i))),
                    Err(kind) => out.type_errors.push((
                        format!(
                            "line {}: cannot unmarshal {kind} into string",
                            d.span(i).line
                        ),
                        d.span(i),
                    )),
                }
            }
            Ok(())
        }
        AKind::Scalar { tag, implicit, .. } => {
            let value = &d.values[id];
            match decode_scalar(value, tag.as_deref(), *implicit) {
                Err(m) => return d.fail(id, m),
                Ok(GoScalar::Null) => out.null = true,
                Ok(_) => {
                    let shown = if value.len() > 10 {
                        format!(" `{}...`", value.chars().take(7).collect::<String>())
                    } else {
                        format!(" `{value}`")
                    };
                    out.not_a_list = Some((
                        format!(
                            "line {}: cannot unmarshal !!str{shown} into []string",
                            node.span.line
                        ),
                        node.span,
                    ));
                }
            }
            Ok(())
        }
        AKind::Map { .. } => {
            out.not_a_list = Some((
                format!(
                    "line {}: cannot unmarshal !!map into []string",
                    node.span.line
                ),
                node.span,
            ));
            Ok(())
        }
    }
}

fn item_style(arena: &[ANode], mut id: usize) -> Style {
    while let AKind::Alias { target, .. } = arena[id].kind {
        id = target;
    }
    match &arena[id].kind {
        AKind::Scalar { style, .. } => *style,
        _ => Style::Plain,
    }
}

/// One element into a `string`: its text, or the YAML kind that cannot be a string.
fn string_item(d: &mut Decoder<'_>, id: usize) -> DResult<Result<String, &'static str>> {
    d.count(id)?;
    let arena = d.arena;
    match &arena[id].kind {
        AKind::Alias { .. } => {
            let target = d.enter_alias(id)?;
            let r = string_item(d, target);
            d.leave_alias(id);
            r
        }
        AKind::Scalar { tag, implicit, .. } => {
            match decode_scalar(&d.values[id], tag.as_deref(), *implicit) {
                Err(m) => d.fail(id, m),
                Ok(GoScalar::Null) => Ok(Ok(String::new())),
                Ok(GoScalar::Binary(b)) => Ok(Ok(crate::core::gostr::utf8_replace_go(&b))),
                Ok(_) => Ok(Ok(d.text(id))),
            }
        }
        other => Ok(Err(tag_name(other))),
    }
}
