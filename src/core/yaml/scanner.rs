//! The YAML scanner of go-yaml v2 (gopkg.in/yaml.v2 2.4.0 `readerc.go` + `scannerc.go`, itself a port of
//! libyaml 0.1), ported line by line so that aws-iam-authenticator's YAML step is reproduced exactly:
//! the same tokens, the same errors (a TAB after `- `, `\/` in double quotes, unknown directives), the
//! same 1024-character simple keys, YAML 1.1 line breaks (NEL, LS, PS) and the reader's refusal of
//! control characters, found chunk by chunk as the reader finds them (512 input bytes at a time).
//!
//! Differences from the Go code are of representation only: the input is the text itself (no copy), the
//! token queue is a `VecDeque`, errors are `Result`s, and every mark also carries a byte offset and a
//! line/column counted by `\n` only (what the rest of iamidmap uses for locations).

use std::collections::VecDeque;

/// A position: go-yaml's (character index, line and column counting every YAML line break) plus the
/// byte offset and the `\n`-based line and column (both 1-based) used for spans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    pub index: usize,
    pub line: usize,
    pub column: usize,
    pub pos: usize,
    pub lf_line: usize,
    pub lf_col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    StreamStart,
    StreamEnd,
    VersionDirective {
        major: i8,
        minor: i8,
    },
    TagDirective {
        handle: Vec<u8>,
        prefix: Vec<u8>,
    },
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias(Vec<u8>),
    Anchor(Vec<u8>),
    Tag {
        handle: Vec<u8>,
        suffix: Vec<u8>,
    },
    Scalar {
        value: Vec<u8>,
        style: ScalarStyle,
        /// Block scalars: where the content starts and where scanning stopped (for spans; not part of
        /// go-yaml's token).
        block: Option<Box<(Mark, Mark)>>,
    },
}

/// A token's kind without its payload (what the parser compares on every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    StreamStart,
    StreamEnd,
    VersionDirective,
    TagDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

impl TokenKind {
    pub fn tok(&self) -> Tok {
        match self {
            TokenKind::StreamStart => Tok::StreamStart,
            TokenKind::StreamEnd => Tok::StreamEnd,
            TokenKind::VersionDirective { .. } => Tok::VersionDirective,
            TokenKind::TagDirective { .. } => Tok::TagDirective,
            TokenKind::DocumentStart => Tok::DocumentStart,
            TokenKind::DocumentEnd => Tok::DocumentEnd,
            TokenKind::BlockSequenceStart => Tok::BlockSequenceStart,
            TokenKind::BlockMappingStart => Tok::BlockMappingStart,
            TokenKind::BlockEnd => Tok::BlockEnd,
            TokenKind::FlowSequenceStart => Tok::FlowSequenceStart,
            TokenKind::FlowSequenceEnd => Tok::FlowSequenceEnd,
            TokenKind::FlowMappingStart => Tok::FlowMappingStart,
            TokenKind::FlowMappingEnd => Tok::FlowMappingEnd,
            TokenKind::BlockEntry => Tok::BlockEntry,
            TokenKind::FlowEntry => Tok::FlowEntry,
            TokenKind::Key => Tok::Key,
            TokenKind::Value => Tok::Value,
            TokenKind::Alias(_) => Tok::Alias,
            TokenKind::Anchor(_) => Tok::Anchor,
            TokenKind::Tag { .. } => Tok::Tag,
            TokenKind::Scalar { .. } => Tok::Scalar,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: Mark,
    pub end: Mark,
}

impl Token {
    /// Where a scalar's value is: for a block scalar from its first content character (after the
    /// `|`/`>` header, leading blank lines and indentation) to where the scanner stopped (the next
    /// line's indentation), otherwise the token itself.
    pub fn value_span(&self) -> (Mark, Mark) {
        match &self.kind {
            TokenKind::Scalar { block: Some(b), .. } => (b.0, b.1),
            _ => (self.start, self.end),
        }
    }
}

/// Which stage failed (go-yaml reports scanner errors one line further down than parser errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Reader,
    Scanner,
    Parser,
    Composer,
}

/// An error as go-yaml records it: a problem, where it was found, and its context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawError {
    pub stage: Stage,
    pub problem: String,
    pub problem_mark: Mark,
    pub context: String,
    pub context_mark: Mark,
    /// For reader errors: the byte offset of the offending input.
    pub offset: usize,
}

impl RawError {
    /// The message go-yaml's `parser.fail()` gives (`line N: problem`, N as go-yaml computes it).
    pub fn go_message(&self) -> String {
        let mut line = 0;
        if self.problem_mark.line != 0 {
            line = self.problem_mark.line;
            if self.stage == Stage::Scanner {
                line += 1;
            }
        } else if self.context_mark.line != 0 {
            line = self.context_mark.line;
        }
        if line == 0 {
            self.problem.clone()
        } else {
            format!("line {line}: {}", self.problem)
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Box<RawError>>;

#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    token_number: usize,
    mark: Mark,
}

const RAW_CHUNK: usize = 512;
const MAX_FLOW_LEVEL: usize = 10000;
const MAX_INDENTS: usize = 10000;
const MAX_NUMBER_LENGTH: i8 = 2;

pub(crate) struct Scanner<'a> {
    input: &'a [u8],
    /// Every character passes the reader's checks (and there is no U+FEFF past the start, whose BOM
    /// check depends on go-yaml's buffer position): the reader's chunk-by-chunk emulation can only
    /// ever succeed, so it is skipped and runs of characters are copied at once.
    fast: bool,
    // Reader emulation: how far the raw buffer was filled and decoded, and the characters decoded but
    // not consumed. `buffer_start` is where go-yaml's buffer begins (its BOM check looks there).
    raw_read: usize,
    decoded: usize,
    eof: bool,
    unread: usize,
    encoding_known: bool,
    buffer_start: usize,

    pub mark: Mark,
    stream_start_produced: bool,
    stream_end_produced: bool,
    flow_level: usize,
    tokens: VecDeque<Token>,
    tokens_parsed: usize,
    token_available: bool,
    indent: isize,
    indents: Vec<isize>,
    simple_key_allowed: bool,
    simple_keys: Vec<SimpleKey>,
    /// go-yaml's `simple_keys_by_tok` map (token number -> index in `simple_keys`), entries deleted by
    /// token number as go-yaml deletes them. Entries for tokens already consumed can never be looked up
    /// again and are dropped, so it stays as small as the lookahead.
    simple_keys_by_tok: Vec<(usize, usize)>,
    error: Option<Box<RawError>>,
}

/// Whether go-yaml's reader would accept every character of `input` (a BOM at the start removed),
/// with no U+FEFF anywhere (see `Scanner::fast`).
fn reader_clean(input: &[u8]) -> bool {
    // Almost every file is printable ASCII with tabs and line breaks: checked 64 bytes at a time
    // without branching, so the compiler vectorises it.
    let ok = |b: u8| (0x20..0x7F).contains(&b) | (b == b'\n') | (b == b'\t') | (b == b'\r');
    let mut chunks = input.chunks_exact(64);
    let mut all = true;
    for c in &mut chunks {
        all &= c.iter().fold(true, |acc, &b| acc & ok(b));
        if !all {
            break;
        }
    }
    if all && chunks.remainder().iter().all(|&b| ok(b)) {
        return true;
    }
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b < 0x80 {
            if !(b == b'\t' || b == b'\n' || b == b'\r' || (0x20..0x7F).contains(&b)) {
                return false;
            }
            i += 1;
            continue;
        }
        let w = width(b);
        let Some(c) = input
            .get(i..i + w.max(1))
            .and_then(|c| std::str::from_utf8(c).ok())
            .and_then(|c| c.chars().next())
        else {
            return false;
        };
        let v = u32::from(c);
        let allowed = v == 0x85
            || (0xA0..=0xD7FF).contains(&v)
            || (0xE000..=0xFFFD).contains(&v) && v != 0xFEFF
            || (0x10000..=0x10FFFF).contains(&v);
        if !allowed {
            return false;
        }
        i += w;
    }
    true
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        0
    }
}

impl<'a> Scanner<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        // go-yaml's newParser: an empty input is read as a single line break.
        let input: &'a [u8] = if input.is_empty() { b"\n" } else { input };
        let bom = input.starts_with(&[0xEF, 0xBB, 0xBF]);
        Scanner {
            input,
            fast: reader_clean(if bom { &input[3..] } else { input }),
            raw_read: 0,
            decoded: 0,
            eof: false,
            unread: 0,
            encoding_known: false,
            buffer_start: 0,
            mark: Mark {
                lf_line: 1,
                lf_col: 1,
                pos: if bom { 3 } else { 0 },
                ..Mark::default()
            },
            stream_start_produced: false,
            stream_end_produced: false,
            flow_level: 0,
            tokens: VecDeque::new(),
            tokens_parsed: 0,
            token_available: false,
            indent: 0,
            indents: vec![],
            simple_key_allowed: false,
            simple_keys: vec![],
            simple_keys_by_tok: vec![],
            error: None,
        }
    }

    // ----- the buffer -------------------------------------------------------------------------------

    #[inline]
    fn at(&self, k: usize) -> u8 {
        self.input.get(self.mark.pos + k).copied().unwrap_or(0)
    }
    #[inline]
    fn ch(&self) -> u8 {
        self.at(0)
    }
    #[inline]
    fn is_z_at(&self, k: usize) -> bool {
        self.at(k) == 0
    }
    #[inline]
    fn is_blank_at(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t')
    }
    #[inline]
    fn is_break_at(&self, k: usize) -> bool {
        match self.at(k) {
            b'\r' | b'\n' => true,
            0xC2 => self.at(k + 1) == 0x85,
            0xE2 => self.at(k + 1) == 0x80 && matches!(self.at(k + 2), 0xA8 | 0xA9),
            _ => false,
        }
    }
    #[inline]
    fn is_breakz_at(&self, k: usize) -> bool {
        self.is_break_at(k) || self.is_z_at(k)
    }
    #[inline]
    fn is_blankz_at(&self, k: usize) -> bool {
        self.is_blank_at(k) || self.is_breakz_at(k)
    }
    #[inline]
    fn is_alpha_at(&self, k: usize) -> bool {
        let b = self.at(k);
        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
    }
    #[inline]
    fn is_hex_at(&self, k: usize) -> bool {
        self.at(k).is_ascii_hexdigit()
    }
    fn as_hex_at(&self, k: usize) -> u32 {
        let b = self.at(k);
        match b {
            b'A'..=b'F' => (b - b'A' + 10) as u32,
            b'a'..=b'f' => (b - b'a' + 10) as u32,
            _ => (b - b'0') as u32,
        }
    }
    fn is_bom(&self) -> bool {
        // In fast mode there is no U+FEFF past the start, whose BOM the reader already consumed.
        !self.fast
            && self.input.get(self.buffer_start..self.buffer_start + 3)
                == Some(&[0xEF, 0xBB, 0xBF][..])
    }

    /// `cache(parser, length)`.
    #[inline]
    fn cache(&mut self, length: usize) -> Result<()> {
        if self.fast || self.unread >= length {
            Ok(())
        } else {
            self.update_buffer(length)
        }
    }

    /// `yaml_parser_update_buffer`, with go-yaml's chunking: the raw buffer takes 512 input bytes at a
    /// time and all of it is decoded (and checked) at once.
    fn update_buffer(&mut self, length: usize) -> Result<()> {
        if self.unread >= length {
            return Ok(());
        }
        if !self.encoding_known {
            // yaml_parser_determine_encoding reads until it holds 3 bytes or meets the end.
            self.raw_read = RAW_CHUNK.min(self.input.len());
            if self.input.len() < 3 {
                self.eof = true;
            }
            if self.input.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.decoded = 3;
            }
            self.encoding_known = true;
        }
        self.buffer_start = self.mark.pos;
        let mut first = true;
        while self.unread < length {
            if !first || self.decoded == self.raw_read {
                // yaml_parser_update_raw_buffer
                if !self.eof {
                    let room = RAW_CHUNK - (self.raw_read - self.decoded);
                    let n = room.min(self.input.len() - self.raw_read);
                    if n == 0 {
                        self.eof = true;
                    }
                    self.raw_read += n;
                }
            }
            first = false;
            while self.decoded < self.raw_read {
                let lead = self.input[self.decoded];
                if lead < 0x80 {
                    // ASCII: tab, line feed, carriage return and the printable range only.
                    if !(lead == b'\t'
                        || lead == b'\n'
                        || lead == b'\r'
                        || (0x20..0x7F).contains(&lead))
                    {
                        return Err(self.reader_error("control characters are not allowed"));
                    }
                    self.decoded += 1;
                    self.unread += 1;
                    continue;
                }
                let w = width(lead);
                if w == 0 {
                    return Err(self.reader_error("invalid leading UTF-8 octet"));
                }
                if w > self.raw_read - self.decoded {
                    if self.eof {
                        return Err(self.reader_error("incomplete UTF-8 octet sequence"));
                    }
                    break;
                }
                let b = &self.input[self.decoded..self.decoded + w];
                let value = match w {
                    2 => ((b[0] as u32 & 0x1F) << 6) | (b[1] as u32 & 0x3F),
                    3 => {
                        ((b[0] as u32 & 0x0F) << 12)
                            | ((b[1] as u32 & 0x3F) << 6)
                            | (b[2] as u32 & 0x3F)
                    }
                    _ => {
                        ((b[0] as u32 & 0x07) << 18)
                            | ((b[1] as u32 & 0x3F) << 12)
                            | ((b[2] as u32 & 0x3F) << 6)
                            | (b[3] as u32 & 0x3F)
                    }
                };
                let allowed = value == 0x85
                    || (0xA0..=0xD7FF).contains(&value)
                    || (0xE000..=0xFFFD).contains(&value)
                    || (0x10000..=0x10FFFF).contains(&value);
                if !allowed {
                    return Err(self.reader_error("control characters are not allowed"));
                }
                self.decoded += w;
                self.unread += 1;
            }
            if self.eof {
                self.unread += 1;
                break;
            }
        }
        Ok(())
    }

    fn reader_error(&self, problem: &str) -> Box<RawError> {
        Box::new(RawError {
            stage: Stage::Reader,
            problem: problem.to_string(),
            problem_mark: Mark::default(),
            context: String::new(),
            context_mark: Mark::default(),
            offset: self.decoded,
        })
    }

    fn skip(&mut self) {
        self.mark.index += 1;
        self.mark.column += 1;
        self.mark.lf_col += 1;
        self.unread = self.unread.saturating_sub(1);
        self.mark.pos += width(self.ch()).max(1);
    }

    fn skip_line(&mut self) {
        if self.ch() == b'\r' && self.at(1) == b'\n' {
            self.mark.index += 2;
            self.mark.column = 0;
            self.mark.line += 1;
            self.unread = self.unread.saturating_sub(2);
            self.mark.pos += 2;
            self.mark.lf_line += 1;
            self.mark.lf_col = 1;
        } else if self.is_break_at(0) {
            let lf = self.ch() == b'\n';
            self.mark.index += 1;
            self.mark.column = 0;
            self.mark.line += 1;
            self.unread = self.unread.saturating_sub(1);
            self.mark.pos += width(self.ch()).max(1);
            if lf {
                self.mark.lf_line += 1;
                self.mark.lf_col = 1;
            } else {
                self.mark.lf_col += 1;
            }
        }
    }

    fn read(&mut self, s: &mut Vec<u8>) {
        let w = width(self.ch()).max(1);
        s.extend_from_slice(&self.input[self.mark.pos..(self.mark.pos + w).min(self.input.len())]);
        self.mark.pos += w;
        self.mark.index += 1;
        self.mark.column += 1;
        self.mark.lf_col += 1;
        self.unread = self.unread.saturating_sub(1);
    }

    /// Copy characters up to the first byte `stop` accepts, at once (fast mode only; otherwise the
    /// callers' character-by-character loop does the work). Multi-byte line breaks (NEL, LS, PS) start
    /// with 0xC2 or 0xE2, which always stop a run, as does the end of the input.
    #[inline]
    fn read_run(&mut self, s: Option<&mut Vec<u8>>, stop: impl Fn(u8) -> bool) {
        if !self.fast {
            return;
        }
        let bytes = &self.input[self.mark.pos.min(self.input.len())..];
        let n = bytes
            .iter()
            .position(|&b| b == 0 || b == 0xC2 || b == 0xE2 || stop(b))
            .unwrap_or(bytes.len());
        if n == 0 {
            return;
        }
        let run = &bytes[..n];
        let chars = if run.is_ascii() {
            n
        } else {
            run.iter().filter(|&&b| b & 0xC0 != 0x80).count()
        };
        if let Some(s) = s {
            s.extend_from_slice(run);
        }
        self.mark.pos += n;
        self.mark.index += chars;
        self.mark.column += chars;
        self.mark.lf_col += chars;
    }

    fn read_line(&mut self, s: &mut Vec<u8>) {
        let (b0, b1, b2) = (self.ch(), self.at(1), self.at(2));
        let lf;
        if b0 == b'\r' && b1 == b'\n' {
            s.push(b'\n');
            self.mark.pos += 2;
            self.mark.index += 1;
            self.unread = self.unread.saturating_sub(1);
            lf = true;
        } else if b0 == b'\r' || b0 == b'\n' {
            s.push(b'\n');
            self.mark.pos += 1;
            lf = b0 == b'\n';
        } else if b0 == 0xC2 && b1 == 0x85 {
            s.push(b'\n');
            self.mark.pos += 2;
            lf = false;
        } else if b0 == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9) {
            s.extend_from_slice(&[b0, b1, b2]);
            self.mark.pos += 3;
            lf = false;
        } else {
            return;
        }
        self.mark.index += 1;
        self.mark.column = 0;
        self.mark.line += 1;
        self.unread = self.unread.saturating_sub(1);
        if lf {
            self.mark.lf_line += 1;
            self.mark.lf_col = 1;
        } else {
            self.mark.lf_col += 1;
        }
    }

    // ----- the token queue --------------------------------------------------------------------------

    /// `yaml_insert_token`: at a position relative to the queue's head; a position before the head (a
    /// stale simple key's token number) or none appends, as go-yaml's negative position does.
    fn insert_token(&mut self, pos: Option<isize>, token: Token) {
        match pos {
            Some(p) if p >= 0 && (p as usize) <= self.tokens.len() => {
                self.tokens.insert(p as usize, token)
            }
            _ => self.tokens.push_back(token),
        }
    }

    /// `peek_token`: the next token, fetching more when needed.
    pub fn peek(&mut self) -> Result<&Token> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        Ok(self.tokens.front().expect("a token is available"))
    }

    /// The next token's kind and marks, without its payload.
    pub fn peek_tok(&mut self) -> Result<(Tok, Mark, Mark)> {
        let t = self.peek()?;
        Ok((t.kind.tok(), t.start, t.end))
    }

    /// `skip_token`.
    pub fn skip_token(&mut self) {
        self.token_available = false;
        self.tokens_parsed += 1;
        if let Some(t) = self.tokens.pop_front() {
            self.stream_end_produced = t.kind == TokenKind::StreamEnd;
        }
    }

    /// Take the next token: `peek_token` then `skip_token`, returning what was skipped.
    pub fn take(&mut self) -> Result<Token> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        self.token_available = false;
        self.tokens_parsed += 1;
        let t = self.tokens.pop_front().expect("a token is available");
        self.stream_end_produced = t.kind == TokenKind::StreamEnd;
        Ok(t)
    }

    fn scanner_error(&self, context: &str, context_mark: Mark, problem: &str) -> Box<RawError> {
        Box::new(RawError {
            stage: Stage::Scanner,
            problem: problem.to_string(),
            problem_mark: self.mark,
            context: context.to_string(),
            context_mark,
            offset: self.mark.pos,
        })
    }

    fn tag_error(&self, directive: bool, context_mark: Mark, problem: &str) -> Box<RawError> {
        let context = if directive {
            "while parsing a %TAG directive"
        } else {
            "while parsing a tag"
        };
        self.scanner_error(context, context_mark, problem)
    }

    fn fail<T>(&mut self, e: Box<RawError>) -> Result<T> {
        self.error = Some(e.clone());
        Err(e)
    }

    fn fetch_more_tokens(&mut self) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        loop {
            if !self.tokens.is_empty() {
                let head = self.tokens_parsed;
                self.simple_keys_by_tok.retain(|&(t, _)| t >= head);
                match self
                    .simple_keys_by_tok
                    .iter()
                    .find(|&&(t, _)| t == head)
                    .map(|&(_, i)| i)
                {
                    None => break,
                    Some(i) => {
                        let mut key = self.simple_keys[i];
                        let valid = self.simple_key_is_valid(&mut key);
                        self.simple_keys[i] = key;
                        match valid {
                            Err(e) => return self.fail(e),
                            Ok(false) => break,
                            Ok(true) => {}
                        }
                    }
                }
            }
            if let Err(e) = self.fetch_next_token() {
                return self.fail(e);
            }
        }
        self.token_available = true;
        Ok(())
    }

    fn fetch_next_token(&mut self) -> Result<()> {
        self.cache(1)?;
        if !self.stream_start_produced {
            return self.fetch_stream_start();
        }
        self.scan_to_next_token()?;
        self.unroll_indent(self.mark.column as isize);
        self.cache(4)?;
        if self.is_z_at(0) {
            return self.fetch_stream_end();
        }
        let c = self.ch();
        if self.mark.column == 0 && c == b'%' {
            return self.fetch_directive();
        }
        if self.mark.column == 0
            && c == b'-'
            && self.at(1) == b'-'
            && self.at(2) == b'-'
            && self.is_blankz_at(3)
        {
            return self.fetch_document_indicator(TokenKind::DocumentStart);
        }
        if self.mark.column == 0
            && c == b'.'
            && self.at(1) == b'.'
            && self.at(2) == b'.'
            && self.is_blankz_at(3)
        {
            return self.fetch_document_indicator(TokenKind::DocumentEnd);
        }
        match c {
            b'[' => return self.fetch_flow_collection_start(TokenKind::FlowSequenceStart),
            b'{' => return self.fetch_flow_collection_start(TokenKind::FlowMappingStart),
            b']' => return self.fetch_flow_collection_end(TokenKind::FlowSequenceEnd),
            b'}' => return self.fetch_flow_collection_end(TokenKind::FlowMappingEnd),
            b',' => return self.fetch_flow_entry(),
            _ => {}
        }
        if c == b'-' && self.is_blankz_at(1) {
            return self.fetch_block_entry();
        }
        if c == b'?' && (self.flow_level > 0 || self.is_blankz_at(1)) {
            return self.fetch_key();
        }
        if c == b':' && (self.flow_level > 0 || self.is_blankz_at(1)) {
            return self.fetch_value();
        }
        match c {
            b'*' => return self.fetch_anchor(true),
            b'&' => return self.fetch_anchor(false),
            b'!' => return self.fetch_tag(),
            b'|' if self.flow_level == 0 => return self.fetch_block_scalar(true),
            b'>' if self.flow_level == 0 => return self.fetch_block_scalar(false),
            b'\'' => return self.fetch_flow_scalar(true),
            b'"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        let indicator = matches!(
            c,
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
        if !(self.is_blankz_at(0) || indicator)
            || (c == b'-' && !self.is_blank_at(1))
            || (self.flow_level == 0 && (c == b'?' || c == b':') && !self.is_blankz_at(1))
        {
            return self.fetch_plain_scalar();
        }
        Err(self.scanner_error(
            "while scanning for the next token",
            self.mark,
            "found character that cannot start any token",
        ))
    }

    fn simple_key_is_valid(&self, key: &mut SimpleKey) -> Result<bool> {
        if !key.possible {
            return Ok(false);
        }
        if key.mark.line < self.mark.line || key.mark.index + 1024 < self.mark.index {
            if key.required {
                return Err(self.scanner_error(
                    "while scanning a simple key",
                    key.mark,
                    "could not find expected ':'",
                ));
            }
            key.possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    fn save_simple_key(&mut self) -> Result<()> {
        let required = self.flow_level == 0 && self.indent == self.mark.column as isize;
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + self.tokens.len(),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            let last = self.simple_keys.len() - 1;
            self.simple_keys[last] = key;
            self.map_insert(key.token_number, last);
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Result<()> {
        let i = self.simple_keys.len() - 1;
        if self.simple_keys[i].possible {
            if self.simple_keys[i].required {
                return Err(self.scanner_error(
                    "while scanning a simple key",
                    self.simple_keys[i].mark,
                    "could not find expected ':'",
                ));
            }
            self.simple_keys[i].possible = false;
            let n = self.simple_keys[i].token_number;
            self.map_delete(n);
        }
        Ok(())
    }

    fn map_insert(&mut self, token: usize, index: usize) {
        match self
            .simple_keys_by_tok
            .iter_mut()
            .find(|(t, _)| *t == token)
        {
            Some(e) => e.1 = index,
            None => self.simple_keys_by_tok.push((token, index)),
        }
    }

    fn map_delete(&mut self, token: usize) {
        self.simple_keys_by_tok.retain(|&(t, _)| t != token);
    }

    fn increase_flow_level(&mut self) -> Result<()> {
        self.simple_keys.push(SimpleKey {
            possible: false,
            required: false,
            token_number: self.tokens_parsed + self.tokens.len(),
            mark: self.mark,
        });
        self.flow_level += 1;
        if self.flow_level > MAX_FLOW_LEVEL {
            let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
            return Err(self.scanner_error(
                "while increasing flow level",
                mark,
                &format!("exceeded max depth of {MAX_FLOW_LEVEL}"),
            ));
        }
        Ok(())
    }

    fn decrease_flow_level(&mut self) {
        if self.flow_level > 0 {
            self.flow_level -= 1;
            if let Some(last) = self.simple_keys.pop() {
                self.map_delete(last.token_number);
            }
        }
    }

    fn roll_indent(
        &mut self,
        column: usize,
        number: Option<usize>,
        kind: TokenKind,
        mark: Mark,
    ) -> Result<()> {
        if self.flow_level > 0 {
            return Ok(());
        }
        if self.indent < column as isize {
            self.indents.push(self.indent);
            self.indent = column as isize;
            if self.indents.len() > MAX_INDENTS {
                let m = self.simple_keys[self.simple_keys.len() - 1].mark;
                return Err(self.scanner_error(
                    "while increasing indent level",
                    m,
                    &format!("exceeded max depth of {MAX_INDENTS}"),
                ));
            }
            let token = Token {
                kind,
                start: mark,
                end: mark,
            };
            let pos = number.map(|n| n as isize - self.tokens_parsed as isize);
            self.insert_token(pos, token);
        }
        Ok(())
    }

    fn unroll_indent(&mut self, column: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            let token = Token {
                kind: TokenKind::BlockEnd,
                start: self.mark,
                end: self.mark,
            };
            self.insert_token(None, token);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    fn fetch_stream_start(&mut self) -> Result<()> {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_keys_by_tok.clear();
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        let t = Token {
            kind: TokenKind::StreamStart,
            start: self.mark,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_stream_end(&mut self) -> Result<()> {
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let t = Token {
            kind: TokenKind::StreamEnd,
            start: self.mark,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_directive(&mut self) -> Result<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let t = self.scan_directive()?;
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_document_indicator(&mut self, kind: TokenKind) -> Result<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        let t = Token {
            kind,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, kind: TokenKind) -> Result<()> {
        self.save_simple_key()?;
        self.increase_flow_level()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let t = Token {
            kind,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, kind: TokenKind) -> Result<()> {
        self.remove_simple_key()?;
        self.decrease_flow_level();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        let t = Token {
            kind,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Result<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let t = Token {
            kind: TokenKind::FlowEntry,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Result<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.scanner_error(
                    "",
                    self.mark,
                    "block sequence entries are not allowed in this context",
                ));
            }
            self.roll_indent(
                self.mark.column,
                None,
                TokenKind::BlockSequenceStart,
                self.mark,
            )?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let t = Token {
            kind: TokenKind::BlockEntry,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_key(&mut self) -> Result<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.scanner_error(
                    "",
                    self.mark,
                    "mapping keys are not allowed in this context",
                ));
            }
            self.roll_indent(
                self.mark.column,
                None,
                TokenKind::BlockMappingStart,
                self.mark,
            )?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        let t = Token {
            kind: TokenKind::Key,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_value(&mut self) -> Result<()> {
        let last = self.simple_keys.len() - 1;
        let mut key = self.simple_keys[last];
        let valid = self.simple_key_is_valid(&mut key);
        self.simple_keys[last] = key;
        if valid? {
            let t = Token {
                kind: TokenKind::Key,
                start: key.mark,
                end: key.mark,
            };
            self.insert_token(
                Some(key.token_number as isize - self.tokens_parsed as isize),
                t,
            );
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                TokenKind::BlockMappingStart,
                key.mark,
            )?;
            self.simple_keys[last].possible = false;
            self.map_delete(key.token_number);
            self.simple_key_allowed = false;
        } else {
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(self.scanner_error(
                        "",
                        self.mark,
                        "mapping values are not allowed in this context",
                    ));
                }
                self.roll_indent(
                    self.mark.column,
                    None,
                    TokenKind::BlockMappingStart,
                    self.mark,
                )?;
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        let t = Token {
            kind: TokenKind::Value,
            start,
            end: self.mark,
        };
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_anchor(&mut self, alias: bool) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let t = self.scan_anchor(alias)?;
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_tag(&mut self) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let t = self.scan_tag()?;
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Result<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let t = self.scan_block_scalar(literal)?;
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let t = self.scan_flow_scalar(single)?;
        self.insert_token(None, t);
        Ok(())
    }

    fn fetch_plain_scalar(&mut self) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let t = self.scan_plain_scalar()?;
        self.insert_token(None, t);
        Ok(())
    }

    fn scan_to_next_token(&mut self) -> Result<()> {
        loop {
            self.cache(1)?;
            if self.mark.column == 0 && self.is_bom() {
                self.skip();
            }
            self.cache(1)?;
            while self.ch() == b' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.ch() == b'\t')
            {
                self.skip();
                self.cache(1)?;
            }
            if self.ch() == b'#' {
                while !self.is_breakz_at(0) {
                    self.read_run(None, |b| b == b'\r' || b == b'\n');
                    if self.is_breakz_at(0) {
                        break;
                    }
                    self.skip();
                    self.cache(1)?;
                }
            }
            if self.is_break_at(0) {
                self.cache(2)?;
                self.skip_line();
                if self.flow_level == 0 {
                    self.simple_key_allowed = true;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn scan_directive(&mut self) -> Result<Token> {
        let start = self.mark;
        self.skip();
        let name = self.scan_directive_name(start)?;
        let token = if name == b"YAML" {
            let (major, minor) = self.scan_version_directive_value(start)?;
            Token {
                kind: TokenKind::VersionDirective { major, minor },
                start,
                end: self.mark,
            }
        } else if name == b"TAG" {
            let (handle, prefix) = self.scan_tag_directive_value(start)?;
            Token {
                kind: TokenKind::TagDirective { handle, prefix },
                start,
                end: self.mark,
            }
        } else {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "found unknown directive name",
            ));
        };
        self.cache(1)?;
        while self.is_blank_at(0) {
            self.skip();
            self.cache(1)?;
        }
        if self.ch() == b'#' {
            while !self.is_breakz_at(0) {
                self.skip();
                self.cache(1)?;
            }
        }
        if !self.is_breakz_at(0) {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "did not find expected comment or line break",
            ));
        }
        if self.is_break_at(0) {
            self.cache(2)?;
            self.skip_line();
        }
        Ok(token)
    }

    fn scan_directive_name(&mut self, start: Mark) -> Result<Vec<u8>> {
        self.cache(1)?;
        let mut s = vec![];
        while self.is_alpha_at(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if s.is_empty() {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "could not find expected directive name",
            ));
        }
        if !self.is_blankz_at(0) {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "found unexpected non-alphabetical character",
            ));
        }
        Ok(s)
    }

    fn scan_version_directive_value(&mut self, start: Mark) -> Result<(i8, i8)> {
        self.cache(1)?;
        while self.is_blank_at(0) {
            self.skip();
            self.cache(1)?;
        }
        let major = self.scan_version_directive_number(start)?;
        if self.ch() != b'.' {
            return Err(self.scanner_error(
                "while scanning a %YAML directive",
                start,
                "did not find expected digit or '.' character",
            ));
        }
        self.skip();
        let minor = self.scan_version_directive_number(start)?;
        Ok((major, minor))
    }

    fn scan_version_directive_number(&mut self, start: Mark) -> Result<i8> {
        self.cache(1)?;
        let (mut value, mut length): (i8, i8) = (0, 0);
        while self.ch().is_ascii_digit() {
            length += 1;
            if length > MAX_NUMBER_LENGTH {
                return Err(self.scanner_error(
                    "while scanning a %YAML directive",
                    start,
                    "found extremely long version number",
                ));
            }
            value = value
                .wrapping_mul(10)
                .wrapping_add((self.ch() - b'0') as i8);
            self.skip();
            self.cache(1)?;
        }
        if length == 0 {
            return Err(self.scanner_error(
                "while scanning a %YAML directive",
                start,
                "did not find expected version number",
            ));
        }
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start: Mark) -> Result<(Vec<u8>, Vec<u8>)> {
        self.cache(1)?;
        while self.is_blank_at(0) {
            self.skip();
            self.cache(1)?;
        }
        let handle = self.scan_tag_handle(true, start)?;
        self.cache(1)?;
        if !self.is_blank_at(0) {
            return Err(self.scanner_error(
                "while scanning a %TAG directive",
                start,
                "did not find expected whitespace",
            ));
        }
        while self.is_blank_at(0) {
            self.skip();
            self.cache(1)?;
        }
        let prefix = self.scan_tag_uri(true, &[], start)?;
        self.cache(1)?;
        if !self.is_blankz_at(0) {
            return Err(self.scanner_error(
                "while scanning a %TAG directive",
                start,
                "did not find expected whitespace or line break",
            ));
        }
        Ok((handle, prefix))
    }

    fn scan_anchor(&mut self, alias: bool) -> Result<Token> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let mut s = vec![];
        while self.is_alpha_at(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        let end = self.mark;
        let c = self.ch();
        if s.is_empty()
            || !(self.is_blankz_at(0)
                || matches!(c, b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'))
        {
            let context = if alias {
                "while scanning an alias"
            } else {
                "while scanning an anchor"
            };
            return Err(self.scanner_error(
                context,
                start,
                "did not find expected alphabetic or numeric character",
            ));
        }
        Ok(Token {
            kind: if alias {
                TokenKind::Alias(s)
            } else {
                TokenKind::Anchor(s)
            },
            start,
            end,
        })
    }

    fn scan_tag(&mut self) -> Result<Token> {
        let start = self.mark;
        self.cache(2)?;
        let (handle, suffix);
        if self.at(1) == b'<' {
            self.skip();
            self.skip();
            suffix = self.scan_tag_uri(false, &[], start)?;
            if self.ch() != b'>' {
                return Err(self.scanner_error(
                    "while scanning a tag",
                    start,
                    "did not find the expected '>'",
                ));
            }
            self.skip();
            handle = vec![];
        } else {
            let h = self.scan_tag_handle(false, start)?;
            if h[0] == b'!' && h.len() > 1 && h[h.len() - 1] == b'!' {
                suffix = self.scan_tag_uri(false, &[], start)?;
                handle = h;
            } else {
                let s = self.scan_tag_uri(false, &h, start)?;
                if s.is_empty() {
                    // The '!' tag: handle '' and suffix '!'.
                    handle = vec![];
                    suffix = b"!".to_vec();
                } else {
                    handle = b"!".to_vec();
                    suffix = s;
                }
            }
        }
        self.cache(1)?;
        if !self.is_blankz_at(0) {
            return Err(self.scanner_error(
                "while scanning a tag",
                start,
                "did not find expected whitespace or line break",
            ));
        }
        Ok(Token {
            kind: TokenKind::Tag { handle, suffix },
            start,
            end: self.mark,
        })
    }

    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Result<Vec<u8>> {
        self.cache(1)?;
        if self.ch() != b'!' {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        let mut s = vec![];
        self.read(&mut s);
        self.cache(1)?;
        while self.is_alpha_at(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if self.ch() == b'!' {
            self.read(&mut s);
        } else if directive && s != b"!" {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        Ok(s)
    }

    fn scan_tag_uri(&mut self, directive: bool, head: &[u8], start: Mark) -> Result<Vec<u8>> {
        let mut s = vec![];
        let mut has_tag = !head.is_empty();
        if head.len() > 1 {
            s.extend_from_slice(&head[1..]);
        }
        self.cache(1)?;
        loop {
            let c = self.ch();
            let uri = self.is_alpha_at(0)
                || matches!(
                    c,
                    b';' | b'/'
                        | b'?'
                        | b':'
                        | b'@'
                        | b'&'
                        | b'='
                        | b'+'
                        | b'$'
                        | b','
                        | b'.'
                        | b'!'
                        | b'~'
                        | b'*'
                        | b'\''
                        | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b'%'
                );
            if !uri {
                break;
            }
            if c == b'%' {
                self.scan_uri_escapes(directive, start, &mut s)?;
            } else {
                self.read(&mut s);
            }
            self.cache(1)?;
            has_tag = true;
        }
        if !has_tag {
            return Err(self.tag_error(directive, start, "did not find expected tag URI"));
        }
        Ok(s)
    }

    fn scan_uri_escapes(&mut self, directive: bool, start: Mark, s: &mut Vec<u8>) -> Result<()> {
        let mut w = 1024usize;
        while w > 0 {
            self.cache(3)?;
            if !(self.ch() == b'%' && self.is_hex_at(1) && self.is_hex_at(2)) {
                return Err(self.tag_error(directive, start, "did not find URI escaped octet"));
            }
            let octet = ((self.as_hex_at(1) << 4) + self.as_hex_at(2)) as u8;
            if w == 1024 {
                w = width(octet);
                if w == 0 {
                    return Err(self.tag_error(
                        directive,
                        start,
                        "found an incorrect leading UTF-8 octet",
                    ));
                }
            } else if octet & 0xC0 != 0x80 {
                return Err(self.tag_error(
                    directive,
                    start,
                    "found an incorrect trailing UTF-8 octet",
                ));
            }
            s.push(octet);
            self.skip();
            self.skip();
            self.skip();
            w -= 1;
        }
        Ok(())
    }

    fn scan_block_scalar(&mut self, literal: bool) -> Result<Token> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let (mut chomping, mut increment) = (0i32, 0usize);
        if self.ch() == b'+' || self.ch() == b'-' {
            chomping = if self.ch() == b'+' { 1 } else { -1 };
            self.skip();
            self.cache(1)?;
            if self.ch().is_ascii_digit() {
                if self.ch() == b'0' {
                    return Err(self.scanner_error(
                        "while scanning a block scalar",
                        start,
                        "found an indentation indicator equal to 0",
                    ));
                }
                increment = (self.ch() - b'0') as usize;
                self.skip();
            }
        } else if self.ch().is_ascii_digit() {
            if self.ch() == b'0' {
                return Err(self.scanner_error(
                    "while scanning a block scalar",
                    start,
                    "found an indentation indicator equal to 0",
                ));
            }
            increment = (self.ch() - b'0') as usize;
            self.skip();
            self.cache(1)?;
            if self.ch() == b'+' || self.ch() == b'-' {
                chomping = if self.ch() == b'+' { 1 } else { -1 };
                self.skip();
            }
        }
        self.cache(1)?;
        while self.is_blank_at(0) {
            self.skip();
            self.cache(1)?;
        }
        if self.ch() == b'#' {
            while !self.is_breakz_at(0) {
                self.skip();
                self.cache(1)?;
            }
        }
        if !self.is_breakz_at(0) {
            return Err(self.scanner_error(
                "while scanning a block scalar",
                start,
                "did not find expected comment or line break",
            ));
        }
        if self.is_break_at(0) {
            self.cache(2)?;
            self.skip_line();
        }
        let mut end = self.mark;
        let mut indent: isize = 0;
        if increment > 0 {
            indent = if self.indent >= 0 {
                self.indent + increment as isize
            } else {
                increment as isize
            };
        }
        let mut s = vec![];
        let mut leading_break = vec![];
        let mut trailing_breaks = vec![];
        self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        let content_start = self.mark;
        self.cache(1)?;
        let mut leading_blank = false;
        while self.mark.column as isize == indent && !self.is_z_at(0) {
            let trailing_blank = self.is_blank_at(0);
            if !literal
                && !leading_blank
                && !trailing_blank
                && leading_break.first() == Some(&b'\n')
            {
                if trailing_breaks.is_empty() {
                    s.push(b' ');
                }
            } else {
                s.extend_from_slice(&leading_break);
            }
            leading_break.clear();
            s.extend_from_slice(&trailing_breaks);
            trailing_breaks.clear();
            leading_blank = self.is_blank_at(0);
            while !self.is_breakz_at(0) {
                self.read_run(Some(&mut s), |b| b == b'\r' || b == b'\n');
                if self.is_breakz_at(0) {
                    break;
                }
                self.read(&mut s);
                self.cache(1)?;
            }
            self.cache(2)?;
            self.read_line(&mut leading_break);
            self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        }
        if chomping != -1 {
            s.extend_from_slice(&leading_break);
        }
        if chomping == 1 {
            s.extend_from_slice(&trailing_breaks);
        }
        Ok(Token {
            kind: TokenKind::Scalar {
                value: s,
                style: if literal {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                },
                block: Some(Box::new((content_start, self.mark))),
            },
            start,
            end,
        })
    }

    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut isize,
        breaks: &mut Vec<u8>,
        start: Mark,
        end: &mut Mark,
    ) -> Result<()> {
        *end = self.mark;
        let mut max_indent = 0usize;
        loop {
            self.cache(1)?;
            while (*indent == 0 || (self.mark.column as isize) < *indent) && self.ch() == b' ' {
                self.skip();
                self.cache(1)?;
            }
            if self.mark.column > max_indent {
                max_indent = self.mark.column;
            }
            if (*indent == 0 || (self.mark.column as isize) < *indent) && self.ch() == b'\t' {
                return Err(self.scanner_error(
                    "while scanning a block scalar",
                    start,
                    "found a tab character where an indentation space is expected",
                ));
            }
            if !self.is_break_at(0) {
                break;
            }
            self.cache(2)?;
            self.read_line(breaks);
            *end = self.mark;
        }
        if *indent == 0 {
            *indent = max_indent as isize;
            if *indent < self.indent + 1 {
                *indent = self.indent + 1;
            }
            if *indent < 1 {
                *indent = 1;
            }
        }
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Result<Token> {
        let start = self.mark;
        self.skip();
        let mut s: Vec<u8> = Vec::with_capacity(32);
        let mut leading_break = vec![];
        let mut trailing_breaks = vec![];
        let mut whitespaces = vec![];
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == b'-' && self.at(1) == b'-' && self.at(2) == b'-')
                    || (self.at(0) == b'.' && self.at(1) == b'.' && self.at(2) == b'.'))
                && self.is_blankz_at(3)
            {
                return Err(self.scanner_error(
                    "while scanning a quoted scalar",
                    start,
                    "found unexpected document indicator",
                ));
            }
            if self.is_z_at(0) {
                return Err(self.scanner_error(
                    "while scanning a quoted scalar",
                    start,
                    "found unexpected end of stream",
                ));
            }
            let mut leading_blanks = false;
            while !self.is_blankz_at(0) {
                let c = self.ch();
                if single && c == b'\'' && self.at(1) == b'\'' {
                    s.push(b'\'');
                    self.skip();
                    self.skip();
                } else if (single && c == b'\'') || (!single && c == b'"') {
                    // The closing quote.
                    break;
                } else if !single && c == b'\\' && self.is_break_at(1) {
                    self.cache(3)?;
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && c == b'\\' {
                    let mut code_length = 0usize;
                    match self.at(1) {
                        b'0' => s.push(0),
                        b'a' => s.push(0x07),
                        b'b' => s.push(0x08),
                        b't' | b'\t' => s.push(0x09),
                        b'n' => s.push(0x0A),
                        b'v' => s.push(0x0B),
                        b'f' => s.push(0x0C),
                        b'r' => s.push(0x0D),
                        b'e' => s.push(0x1B),
                        b' ' => s.push(0x20),
                        b'"' => s.push(b'"'),
                        b'\'' => s.push(b'\''),
                        b'\\' => s.push(b'\\'),
                        b'N' => s.extend_from_slice(&[0xC2, 0x85]),
                        b'_' => s.extend_from_slice(&[0xC2, 0xA0]),
                        b'L' => s.extend_from_slice(&[0xE2, 0x80, 0xA8]),
                        b'P' => s.extend_from_slice(&[0xE2, 0x80, 0xA9]),
                        b'x' => code_length = 2,
                        b'u' => code_length = 4,
                        b'U' => code_length = 8,
                        _ => {
                            return Err(self.scanner_error(
                                "while parsing a quoted scalar",
                                start,
                                "found unknown escape character",
                            ));
                        }
                    }
                    self.skip();
                    self.skip();
                    if code_length > 0 {
                        self.cache(code_length)?;
                        let mut value: u32 = 0;
                        for k in 0..code_length {
                            if !self.is_hex_at(k) {
                                return Err(self.scanner_error(
                                    "while parsing a quoted scalar",
                                    start,
                                    "did not find expected hexdecimal number",
                                ));
                            }
                            value = (value << 4) + self.as_hex_at(k);
                        }
                        let c = char::from_u32(value).filter(|_| value <= 0x10FFFF);
                        let Some(c) = c else {
                            return Err(self.scanner_error(
                                "while parsing a quoted scalar",
                                start,
                                "found invalid Unicode character escape code",
                            ));
                        };
                        let mut buf = [0u8; 4];
                        s.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        for _ in 0..code_length {
                            self.skip();
                        }
                    }
                } else {
                    self.read(&mut s);
                    self.read_run(Some(&mut s), |b| {
                        matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\'' | b'"' | b'\\')
                    });
                }
                self.cache(2)?;
            }
            self.cache(1)?;
            if single {
                if self.ch() == b'\'' {
                    break;
                }
            } else if self.ch() == b'"' {
                break;
            }
            while self.is_blank_at(0) || self.is_break_at(0) {
                if self.is_blank_at(0) {
                    if !leading_blanks {
                        self.read(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if leading_blanks {
                if leading_break.first() == Some(&b'\n') {
                    if trailing_breaks.is_empty() {
                        s.push(b' ');
                    } else {
                        s.extend_from_slice(&trailing_breaks);
                    }
                } else {
                    s.extend_from_slice(&leading_break);
                    s.extend_from_slice(&trailing_breaks);
                }
                trailing_breaks.clear();
                leading_break.clear();
            } else {
                s.extend_from_slice(&whitespaces);
                whitespaces.clear();
            }
        }
        self.skip();
        Ok(Token {
            kind: TokenKind::Scalar {
                value: s,
                style: if single {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                },
                block: None,
            },
            start,
            end: self.mark,
        })
    }

    fn scan_plain_scalar(&mut self) -> Result<Token> {
        let mut s: Vec<u8> = Vec::with_capacity(32);
        let mut leading_break: Vec<u8> = vec![];
        let mut trailing_breaks: Vec<u8> = vec![];
        let mut whitespaces: Vec<u8> = vec![];
        let mut leading_blanks = false;
        let indent = self.indent + 1;
        let start = self.mark;
        let mut end = self.mark;
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == b'-' && self.at(1) == b'-' && self.at(2) == b'-')
                    || (self.at(0) == b'.' && self.at(1) == b'.' && self.at(2) == b'.'))
                && self.is_blankz_at(3)
            {
                break;
            }
            if self.ch() == b'#' {
                break;
            }
            while !self.is_blankz_at(0) {
                let c = self.ch();
                if (c == b':' && self.is_blankz_at(1))
                    || (self.flow_level > 0 && matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
                {
                    break;
                }
                if leading_blanks || !whitespaces.is_empty() {
                    if leading_blanks {
                        if leading_break.first() == Some(&b'\n') {
                            if trailing_breaks.is_empty() {
                                s.push(b' ');
                            } else {
                                s.extend_from_slice(&trailing_breaks);
                            }
                        } else {
                            s.extend_from_slice(&leading_break);
                            s.extend_from_slice(&trailing_breaks);
                        }
                        trailing_breaks.clear();
                        leading_break.clear();
                        leading_blanks = false;
                    } else {
                        s.extend_from_slice(&whitespaces);
                        whitespaces.clear();
                    }
                }
                self.read(&mut s);
                let flow = self.flow_level > 0;
                self.read_run(Some(&mut s), |b| {
                    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':')
                        || (flow && matches!(b, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
                });
                end = self.mark;
                self.cache(2)?;
            }
            if !(self.is_blank_at(0) || self.is_break_at(0)) {
                break;
            }
            self.cache(1)?;
            while self.is_blank_at(0) || self.is_break_at(0) {
                if self.is_blank_at(0) {
                    if leading_blanks && (self.mark.column as isize) < indent && self.ch() == b'\t'
                    {
                        return Err(self.scanner_error(
                            "while scanning a plain scalar",
                            start,
                            "found a tab character that violates indentation",
                        ));
                    }
                    if !leading_blanks {
                        self.read(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if self.flow_level == 0 && (self.mark.column as isize) < indent {
                break;
            }
        }
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(Token {
            kind: TokenKind::Scalar {
                value: s,
                style: ScalarStyle::Plain,
                block: None,
            },
            start,
            end,
        })
    }
}
