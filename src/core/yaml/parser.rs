//! The event parser of go-yaml v2 (`parserc.go`), ported state for state: tokens in, events out, with
//! the same errors (`%YAML 1.2` is "found incompatible YAML document", an undefined tag handle is an
//! error) and the same empty scalars. Scalar events also carry their token's own marks, so that spans
//! cover the value and not its anchor or tag.

use super::scanner::{Mark, RawError, Result, ScalarStyle, Scanner, Stage, Tok, TokenKind};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventKind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias {
        anchor: Vec<u8>,
    },
    Scalar {
        anchor: Option<Vec<u8>>,
        tag: Option<Vec<u8>>,
        value: Vec<u8>,
        plain_implicit: bool,
        style: ScalarStyle,
        /// The scalar token's own start and end (without anchor or tag).
        value_start: Mark,
        value_end: Mark,
    },
    SequenceStart {
        anchor: Option<Vec<u8>>,
        flow: bool,
        /// Where the collection itself starts (`[`, the first `-`), without anchor or tag.
        token_start: Mark,
        /// A block sequence whose `-` sits at its parent key's column.
        indentless: bool,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<Vec<u8>>,
        flow: bool,
        token_start: Mark,
    },
    MappingEnd,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub kind: EventKind,
    pub start: Mark,
    pub end: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

pub(crate) struct Parser<'a> {
    pub scanner: Scanner<'a>,
    state: State,
    states: Vec<State>,
    marks: Vec<Mark>,
    tag_directives: Vec<(Vec<u8>, Vec<u8>)>,
    stream_end_produced: bool,
}

fn parser_error(problem: &str, mark: Mark) -> Box<RawError> {
    Box::new(RawError {
        stage: Stage::Parser,
        problem: problem.to_string(),
        problem_mark: mark,
        context: String::new(),
        context_mark: Mark::default(),
        offset: mark.pos,
    })
}

fn parser_error_context(
    context: &str,
    context_mark: Mark,
    problem: &str,
    mark: Mark,
) -> Box<RawError> {
    Box::new(RawError {
        stage: Stage::Parser,
        problem: problem.to_string(),
        problem_mark: mark,
        context: context.to_string(),
        context_mark,
        offset: mark.pos,
    })
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Parser {
            scanner: Scanner::new(input),
            state: State::StreamStart,
            states: vec![],
            marks: vec![],
            tag_directives: vec![],
            stream_end_produced: false,
        }
    }

    /// `yaml_parser_parse`: the next event, or `None` after the stream's end.
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        if self.stream_end_produced || self.state == State::End {
            return Ok(None);
        }
        let e = self.state_machine()?;
        if e.kind == EventKind::StreamEnd {
            self.stream_end_produced = true;
        }
        Ok(Some(e))
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn state_machine(&mut self) -> Result<Event> {
        match self.state {
            State::StreamStart => self.parse_stream_start(),
            State::ImplicitDocumentStart => self.parse_document_start(true),
            State::DocumentStart => self.parse_document_start(false),
            State::DocumentContent => self.parse_document_content(),
            State::DocumentEnd => self.parse_document_end(),
            State::BlockNode => self.parse_node(true, false),
            State::BlockSequenceFirstEntry => self.parse_block_sequence_entry(true),
            State::BlockSequenceEntry => self.parse_block_sequence_entry(false),
            State::IndentlessSequenceEntry => self.parse_indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.parse_block_mapping_key(true),
            State::BlockMappingKey => self.parse_block_mapping_key(false),
            State::BlockMappingValue => self.parse_block_mapping_value(),
            State::FlowSequenceFirstEntry => self.parse_flow_sequence_entry(true),
            State::FlowSequenceEntry => self.parse_flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.parse_flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.parse_flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => self.parse_flow_sequence_entry_mapping_end(),
            State::FlowMappingFirstKey => self.parse_flow_mapping_key(true),
            State::FlowMappingKey => self.parse_flow_mapping_key(false),
            State::FlowMappingValue => self.parse_flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.parse_flow_mapping_value(true),
            State::End => unreachable!("no events after the end"),
        }
    }

    fn peek_kind(&mut self) -> Result<(Tok, Mark, Mark)> {
        self.scanner.peek_tok()
    }

    fn event(kind: EventKind, start: Mark, end: Mark) -> Event {
        Event { kind, start, end }
    }

    fn parse_stream_start(&mut self) -> Result<Event> {
        let t = self.scanner.take()?;
        if t.kind.tok() != Tok::StreamStart {
            return Err(parser_error(
                "did not find expected <stream-start>",
                t.start,
            ));
        }
        self.state = State::ImplicitDocumentStart;
        Ok(Self::event(EventKind::StreamStart, t.start, t.end))
    }

    fn parse_document_start(&mut self, implicit: bool) -> Result<Event> {
        let (mut kind, mut start, mut end) = self.peek_kind()?;
        if !implicit {
            while kind == Tok::DocumentEnd {
                self.scanner.skip_token();
                (kind, start, end) = self.peek_kind()?;
            }
        }
        let directive = matches!(kind, Tok::VersionDirective | Tok::TagDirective);
        if implicit && !directive && kind != Tok::DocumentStart && kind != Tok::StreamEnd {
            self.process_directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            return Ok(Self::event(EventKind::DocumentStart, start, end));
        }
        if kind != Tok::StreamEnd {
            let doc_start = start;
            self.process_directives()?;
            let (kind, start, end) = self.peek_kind()?;
            if kind != Tok::DocumentStart {
                return Err(parser_error(
                    "did not find expected <document start>",
                    start,
                ));
            }
            self.states.push(State::DocumentEnd);
            self.state = State::DocumentContent;
            self.scanner.skip_token();
            return Ok(Self::event(EventKind::DocumentStart, doc_start, end));
        }
        self.state = State::End;
        self.scanner.skip_token();
        Ok(Self::event(EventKind::StreamEnd, start, end))
    }

    fn parse_document_content(&mut self) -> Result<Event> {
        let (kind, start, _) = self.peek_kind()?;
        if matches!(
            kind,
            Tok::VersionDirective
                | Tok::TagDirective
                | Tok::DocumentStart
                | Tok::DocumentEnd
                | Tok::StreamEnd
        ) {
            self.pop_state();
            return Ok(empty_scalar(start));
        }
        self.parse_node(true, false)
    }

    fn parse_document_end(&mut self) -> Result<Event> {
        let (kind, start, end) = self.peek_kind()?;
        let mut end_mark = start;
        if kind == Tok::DocumentEnd {
            end_mark = end;
            self.scanner.skip_token();
        }
        self.tag_directives.clear();
        self.state = State::DocumentStart;
        Ok(Self::event(EventKind::DocumentEnd, start, end_mark))
    }

    fn parse_node(&mut self, block: bool, indentless_sequence: bool) -> Result<Event> {
        let (mut kind, mut tstart, mut tend) = self.peek_kind()?;
        if kind == Tok::Alias {
            self.pop_state();
            let t = self.scanner.take()?;
            let TokenKind::Alias(name) = t.kind else {
                unreachable!("an alias token")
            };
            return Ok(Self::event(EventKind::Alias { anchor: name }, tstart, tend));
        }
        let mut start = tstart;
        let mut end = tstart;
        let mut anchor: Option<Vec<u8>> = None;
        let mut tag_token: Option<(Vec<u8>, Vec<u8>)> = None;
        let mut tag_mark = Mark::default();
        let take_anchor = |p: &mut Self| -> Result<Vec<u8>> {
            match p.scanner.take()?.kind {
                TokenKind::Anchor(a) => Ok(a),
                _ => unreachable!("an anchor token"),
            }
        };
        let take_tag = |p: &mut Self| -> Result<(Vec<u8>, Vec<u8>)> {
            match p.scanner.take()?.kind {
                TokenKind::Tag { handle, suffix } => Ok((handle, suffix)),
                _ => unreachable!("a tag token"),
            }
        };
        if kind == Tok::Anchor {
            anchor = Some(take_anchor(self)?);
            start = tstart;
            end = tend;
            (kind, tstart, tend) = self.peek_kind()?;
            if kind == Tok::Tag {
                tag_token = Some(take_tag(self)?);
                tag_mark = tstart;
                end = tend;
                (kind, tstart, tend) = self.peek_kind()?;
            }
        } else if kind == Tok::Tag {
            tag_token = Some(take_tag(self)?);
            start = tstart;
            tag_mark = tstart;
            end = tend;
            (kind, tstart, tend) = self.peek_kind()?;
            if kind == Tok::Anchor {
                anchor = Some(take_anchor(self)?);
                end = tend;
                (kind, tstart, tend) = self.peek_kind()?;
            }
        }
        let mut tag: Option<Vec<u8>> = None;
        if let Some((handle, suffix)) = tag_token {
            if handle.is_empty() {
                tag = Some(suffix);
            } else {
                match self.tag_directives.iter().find(|(h, _)| *h == handle) {
                    Some((_, prefix)) => {
                        let mut t = prefix.clone();
                        t.extend_from_slice(&suffix);
                        tag = Some(t);
                    }
                    None => {
                        return Err(parser_error_context(
                            "while parsing a node",
                            start,
                            "found undefined tag handle",
                            tag_mark,
                        ));
                    }
                }
                if tag.as_ref().is_some_and(|t| t.is_empty()) {
                    return Err(parser_error_context(
                        "while parsing a node",
                        start,
                        "found undefined tag handle",
                        tag_mark,
                    ));
                }
            }
        }
        // go-yaml treats an empty tag like no tag.
        let tag = tag.filter(|t| !t.is_empty());
        let implicit = tag.is_none();
        if indentless_sequence && kind == Tok::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            return Ok(Self::event(
                EventKind::SequenceStart {
                    anchor,
                    flow: false,
                    token_start: tstart,
                    indentless: true,
                },
                start,
                tend,
            ));
        }
        if kind == Tok::Scalar {
            let t = self.scanner.take()?;
            let (value_start, value_end) = t.value_span();
            let TokenKind::Scalar { value, style, .. } = t.kind else {
                unreachable!()
            };
            let plain_implicit = (tag.is_none() && style == ScalarStyle::Plain)
                || tag.as_deref() == Some(b"!".as_slice());
            self.pop_state();
            return Ok(Self::event(
                EventKind::Scalar {
                    anchor,
                    tag,
                    value,
                    plain_implicit,
                    style,
                    value_start,
                    value_end,
                },
                start,
                t.end,
            ));
        }
        let collection = |flow: bool, seq: bool, anchor: Option<Vec<u8>>| {
            if seq {
                EventKind::SequenceStart {
                    anchor,
                    flow,
                    token_start: tstart,
                    indentless: false,
                }
            } else {
                EventKind::MappingStart {
                    anchor,
                    flow,
                    token_start: tstart,
                }
            }
        };
        match kind {
            Tok::FlowSequenceStart => {
                self.state = State::FlowSequenceFirstEntry;
                return Ok(Self::event(collection(true, true, anchor), start, tend));
            }
            Tok::FlowMappingStart => {
                self.state = State::FlowMappingFirstKey;
                return Ok(Self::event(collection(true, false, anchor), start, tend));
            }
            Tok::BlockSequenceStart if block => {
                self.state = State::BlockSequenceFirstEntry;
                return Ok(Self::event(collection(false, true, anchor), start, tend));
            }
            Tok::BlockMappingStart if block => {
                self.state = State::BlockMappingFirstKey;
                return Ok(Self::event(collection(false, false, anchor), start, tend));
            }
            _ => {}
        }
        if anchor.is_some() || tag.is_some() {
            self.pop_state();
            return Ok(Self::event(
                EventKind::Scalar {
                    anchor,
                    tag,
                    value: vec![],
                    plain_implicit: implicit,
                    style: ScalarStyle::Plain,
                    value_start: end,
                    value_end: end,
                },
                start,
                end,
            ));
        }
        let context = if block {
            "while parsing a block node"
        } else {
            "while parsing a flow node"
        };
        Err(parser_error_context(
            context,
            start,
            "did not find expected node content",
            tstart,
        ))
    }

    fn parse_block_sequence_entry(&mut self, first: bool) -> Result<Event> {
        if first {
            let (_, start, _) = self.peek_kind()?;
            self.marks.push(start);
            self.scanner.skip_token();
        }
        let (kind, start, end) = self.peek_kind()?;
        if kind == Tok::BlockEntry {
            let mark = end;
            self.scanner.skip_token();
            let (kind, _, _) = self.peek_kind()?;
            if kind != Tok::BlockEntry && kind != Tok::BlockEnd {
                self.states.push(State::BlockSequenceEntry);
                return self.parse_node(true, false);
            }
            self.state = State::BlockSequenceEntry;
            return Ok(empty_scalar(mark));
        }
        if kind == Tok::BlockEnd {
            self.pop_state();
            self.marks.pop();
            self.scanner.skip_token();
            return Ok(Self::event(EventKind::SequenceEnd, start, end));
        }
        let context_mark = self.marks.pop().unwrap_or_default();
        Err(parser_error_context(
            "while parsing a block collection",
            context_mark,
            "did not find expected '-' indicator",
            start,
        ))
    }

    fn parse_indentless_sequence_entry(&mut self) -> Result<Event> {
        let (kind, start, end) = self.peek_kind()?;
        if kind == Tok::BlockEntry {
            let mark = end;
            self.scanner.skip_token();
            let (kind, _, _) = self.peek_kind()?;
            if !matches!(
                kind,
                Tok::BlockEntry | Tok::Key | Tok::Value | Tok::BlockEnd
            ) {
                self.states.push(State::IndentlessSequenceEntry);
                return self.parse_node(true, false);
            }
            self.state = State::IndentlessSequenceEntry;
            return Ok(empty_scalar(mark));
        }
        self.pop_state();
        Ok(Self::event(EventKind::SequenceEnd, start, start))
    }

    fn parse_block_mapping_key(&mut self, first: bool) -> Result<Event> {
        if first {
            let (_, start, _) = self.peek_kind()?;
            self.marks.push(start);
            self.scanner.skip_token();
        }
        let (kind, start, end) = self.peek_kind()?;
        if kind == Tok::Key {
            let mark = end;
            self.scanner.skip_token();
            let (kind, _, _) = self.peek_kind()?;
            if !matches!(kind, Tok::Key | Tok::Value | Tok::BlockEnd) {
                self.states.push(State::BlockMappingValue);
                return self.parse_node(true, true);
            }
            self.state = State::BlockMappingValue;
            return Ok(empty_scalar(mark));
        }
        if kind == Tok::BlockEnd {
            self.pop_state();
            self.marks.pop();
            self.scanner.skip_token();
            return Ok(Self::event(EventKind::MappingEnd, start, end));
        }
        let context_mark = self.marks.pop().unwrap_or_default();
        Err(parser_error_context(
            "while parsing a block mapping",
            context_mark,
            "did not find expected key",
            start,
        ))
    }

    fn parse_block_mapping_value(&mut self) -> Result<Event> {
        let (kind, start, end) = self.peek_kind()?;
        if kind == Tok::Value {
            let mark = end;
            self.scanner.skip_token();
            let (kind, _, _) = self.peek_kind()?;
            if !matches!(kind, Tok::Key | Tok::Value | Tok::BlockEnd) {
                self.states.push(State::BlockMappingKey);
                return self.parse_node(true, true);
            }
            self.state = State::BlockMappingKey;
            return Ok(empty_scalar(mark));
        }
        self.state = State::BlockMappingKey;
        Ok(empty_scalar(start))
    }

    fn parse_flow_sequence_entry(&mut self, first: bool) -> Result<Event> {
        if first {
            let (_, start, _) = self.peek_kind()?;
            self.marks.push(start);
            self.scanner.skip_token();
        }
        let (mut kind, mut start, mut end) = self.peek_kind()?;
        if kind != Tok::FlowSequenceEnd {
            if !first {
                if kind == Tok::FlowEntry {
                    self.scanner.skip_token();
                    (kind, start, end) = self.peek_kind()?;
                } else {
                    let context_mark = self.marks.pop().unwrap_or_default();
                    return Err(parser_error_context(
                        "while parsing a flow sequence",
                        context_mark,
                        "did not find expected ',' or ']'",
                        start,
                    ));
                }
            }
            if kind == Tok::Key {
                self.state = State::FlowSequenceEntryMappingKey;
                self.scanner.skip_token();
                return Ok(Self::event(
                    EventKind::MappingStart {
                        anchor: None,
                        flow: true,
                        token_start: start,
                    },
                    start,
                    end,
                ));
            } else if kind != Tok::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.parse_node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.scanner.skip_token();
        Ok(Self::event(EventKind::SequenceEnd, start, end))
    }

    fn parse_flow_sequence_entry_mapping_key(&mut self) -> Result<Event> {
        let (kind, _, end) = self.peek_kind()?;
        if !matches!(kind, Tok::Value | Tok::FlowEntry | Tok::FlowSequenceEnd) {
            self.states.push(State::FlowSequenceEntryMappingValue);
            return self.parse_node(false, false);
        }
        let mark = end;
        self.scanner.skip_token();
        self.state = State::FlowSequenceEntryMappingValue;
        Ok(empty_scalar(mark))
    }

    fn parse_flow_sequence_entry_mapping_value(&mut self) -> Result<Event> {
        let (kind, start, _) = self.peek_kind()?;
        if kind == Tok::Value {
            self.scanner.skip_token();
            let (kind2, start2, _) = self.peek_kind()?;
            if kind2 != Tok::FlowEntry && kind2 != Tok::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntryMappingEnd);
                return self.parse_node(false, false);
            }
            // go-yaml uses the token peeked before the value indicator for the mark.
            let _ = start2;
        }
        self.state = State::FlowSequenceEntryMappingEnd;
        Ok(empty_scalar(start))
    }

    fn parse_flow_sequence_entry_mapping_end(&mut self) -> Result<Event> {
        let (_, start, _) = self.peek_kind()?;
        self.state = State::FlowSequenceEntry;
        Ok(Self::event(EventKind::MappingEnd, start, start))
    }

    fn parse_flow_mapping_key(&mut self, first: bool) -> Result<Event> {
        if first {
            let (_, start, _) = self.peek_kind()?;
            self.marks.push(start);
            self.scanner.skip_token();
        }
        let (mut kind, mut start, mut end) = self.peek_kind()?;
        if kind != Tok::FlowMappingEnd {
            if !first {
                if kind == Tok::FlowEntry {
                    self.scanner.skip_token();
                    (kind, start, end) = self.peek_kind()?;
                } else {
                    let context_mark = self.marks.pop().unwrap_or_default();
                    return Err(parser_error_context(
                        "while parsing a flow mapping",
                        context_mark,
                        "did not find expected ',' or '}'",
                        start,
                    ));
                }
            }
            if kind == Tok::Key {
                self.scanner.skip_token();
                let (kind, start, _) = self.peek_kind()?;
                if !matches!(kind, Tok::Value | Tok::FlowEntry | Tok::FlowMappingEnd) {
                    self.states.push(State::FlowMappingValue);
                    return self.parse_node(false, false);
                }
                self.state = State::FlowMappingValue;
                return Ok(empty_scalar(start));
            } else if kind != Tok::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.parse_node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.scanner.skip_token();
        Ok(Self::event(EventKind::MappingEnd, start, end))
    }

    fn parse_flow_mapping_value(&mut self, empty: bool) -> Result<Event> {
        let (kind, start, _) = self.peek_kind()?;
        if empty {
            self.state = State::FlowMappingKey;
            return Ok(empty_scalar(start));
        }
        if kind == Tok::Value {
            self.scanner.skip_token();
            let (kind, start, _) = self.peek_kind()?;
            if kind != Tok::FlowEntry && kind != Tok::FlowMappingEnd {
                self.states.push(State::FlowMappingKey);
                return self.parse_node(false, false);
            }
            self.state = State::FlowMappingKey;
            return Ok(empty_scalar(start));
        }
        self.state = State::FlowMappingKey;
        Ok(empty_scalar(start))
    }

    fn process_directives(&mut self) -> Result<()> {
        let mut version_seen = false;
        loop {
            let t = self.scanner.peek()?;
            let start = t.start;
            match &t.kind {
                TokenKind::VersionDirective { major, minor } => {
                    if version_seen {
                        return Err(parser_error("found duplicate %YAML directive", start));
                    }
                    if *major != 1 || *minor != 1 {
                        return Err(parser_error("found incompatible YAML document", start));
                    }
                    version_seen = true;
                }
                TokenKind::TagDirective { handle, prefix } => {
                    let (handle, prefix) = (handle.clone(), prefix.clone());
                    if self.tag_directives.iter().any(|(h, _)| *h == handle) {
                        return Err(parser_error("found duplicate %TAG directive", start));
                    }
                    self.tag_directives.push((handle, prefix));
                }
                _ => break,
            }
            self.scanner.skip_token();
        }
        for (h, p) in [(&b"!"[..], &b"!"[..]), (b"!!", b"tag:yaml.org,2002:")] {
            if !self.tag_directives.iter().any(|(x, _)| x == h) {
                self.tag_directives.push((h.to_vec(), p.to_vec()));
            }
        }
        Ok(())
    }
}

fn empty_scalar(mark: Mark) -> Event {
    Event {
        kind: EventKind::Scalar {
            anchor: None,
            tag: None,
            value: vec![],
            plain_implicit: true,
            style: ScalarStyle::Plain,
            value_start: mark,
            value_end: mark,
        },
        start: mark,
        end: mark,
    }
}
