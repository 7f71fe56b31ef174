//! A YAML writer that produces exactly what PyYAML's `yaml.dump` writes with
//! its default settings (block style, indent 2, width 80, `allow_unicode`
//! off, `\n` line breaks), for a document that is a graph of nodes.
//!
//! The rules follow PyYAML's serializer (anchors for nodes reached more than
//! once, numbered `id001`, `id002`, ... in the order their second reference
//! is met) and emitter (which scalar styles a text allows, how each style
//! folds at the width, how block collections are indented). Only what
//! `default_flow_style=False` can produce is supported: collections are in
//! block style, except empty ones, which are written `[]` and `{}`.

use std::borrow::Cow;

pub(crate) type NodeId = usize;

/// A node of the document to write, already in PyYAML's representation
/// (mapping entries in the order they are written).
pub(crate) enum OutNode<'a> {
    Scalar(OutScalar<'a>),
    Seq(Vec<NodeId>),
    /// A mapping, with its local tag (`!Template`) when it is not a plain map.
    Map(Option<&'static str>, Vec<(NodeId, NodeId)>),
}

pub(crate) struct OutScalar<'a> {
    pub value: Cow<'a, str>,
    /// The tag's short form (`!!float`) written when the chosen style would
    /// otherwise change the type the text is read back as.
    pub tag: &'static str,
    /// Read back as this type when written plain.
    pub plain_implicit: bool,
    /// Read back as this type when written quoted (true only for strings).
    pub quoted_implicit: bool,
}

/// Writes the document rooted at `root`.
pub(crate) fn emit(nodes: &[OutNode<'_>], root: NodeId) -> String {
    let anchors = assign_anchors(nodes, root);
    let mut emitter = Emitter {
        nodes,
        anchors,
        written: vec![false; nodes.len()],
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
    };
    emitter.node(root, Context::Root);
    // Document end: the last line is always terminated.
    emitter.write_indent();
    emitter.out
}

/// The serializer's pre-pass: a node met a second time needs an anchor, and
/// anchors are numbered in that order. A node met again is not descended
/// into again.
fn assign_anchors(nodes: &[OutNode<'_>], root: NodeId) -> Vec<Option<String>> {
    let mut seen = vec![false; nodes.len()];
    let mut anchors: Vec<Option<String>> = vec![None; nodes.len()];
    let mut count = 0;
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if seen[id] {
            if anchors[id].is_none() {
                count += 1;
                anchors[id] = Some(format!("id{count:03}"));
            }
            continue;
        }
        seen[id] = true;
        // Pushed in reverse so that children are visited in document order.
        match &nodes[id] {
            OutNode::Scalar(_) => {}
            OutNode::Seq(items) => stack.extend(items.iter().rev()),
            OutNode::Map(_, entries) => {
                for &(key, value) in entries.iter().rev() {
                    stack.push(value);
                    stack.push(key);
                }
            }
        }
    }
    anchors
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    Sequence,
    Mapping,
    SimpleKey,
}

/// Characters PyYAML treats as line breaks.
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    matches!(
        c,
        None | Some('\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
    )
}

/// Which styles can carry a scalar's text unchanged.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let starts_with =
        |prefix: &str| text.len() >= 3 && prefix.chars().eq(text[..3].iter().copied());
    // Document markers at the start would end the document.
    let mut block_indicators = starts_with("---") || starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let last = text.len() - 1;

    for (index, &c) in text.iter().enumerate() {
        let preceded_by_blank = index == 0 || is_blank_or_end(Some(text[index - 1]));
        let followed_by_blank = is_blank_or_end(text.get(index + 1).copied());
        if index == 0 {
            // At the start these begin other constructs (comments, flow
            // collections, anchors, tags, block scalars, quotes, directives).
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_indicators = true;
            }
            if matches!(c, '?' | ':' | '-') && followed_by_blank {
                block_indicators = true;
            }
        } else if (c == ':' && followed_by_blank) || (c == '#' && preceded_by_blank) {
            block_indicators = true;
        }

        if is_break(c) {
            line_breaks = true;
        }
        // With allow_unicode off, anything outside printable ASCII can only
        // be written as an escape, i.e. double-quoted.
        if !(c == '\n' || (' '..='~').contains(&c)) {
            special_characters = true;
        }

        if c == ' ' {
            leading_space |= index == 0;
            trailing_space |= index == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= index == 0;
            trailing_break |= index == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
    }

    let mut allow_block_plain =
        !(leading_space || leading_break || trailing_space || trailing_break);
    let mut allow_single_quoted = true;
    // A space after a line break would be taken as indentation when read back.
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    // PyYAML never writes multi-line plain scalars.
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

const WIDTH: usize = 80;
const INDENT: usize = 2;

struct Emitter<'n, 'a> {
    nodes: &'n [OutNode<'a>],
    anchors: Vec<Option<String>>,
    written: Vec<bool>,
    out: String,
    /// In characters, as PyYAML counts.
    column: usize,
    /// The last character written was a space or a line break.
    whitespace: bool,
    /// Only indentation and indicators (`-`, `?`, `:`) on this line so far.
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
}

impl Emitter<'_, '_> {
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(INDENT),
            None => Some(0),
            Some(indent) if !indentless => Some(indent + INDENT),
            Some(indent) => Some(indent),
        };
    }

    fn restore_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, id: NodeId, context: Context) {
        let nodes = self.nodes;
        if self.written[id] {
            if let Some(anchor) = &self.anchors[id] {
                let alias = format!("*{anchor}");
                self.write_indicator(&alias, true, false, false);
                return;
            }
        }
        self.written[id] = true;
        if let Some(anchor) = &self.anchors[id] {
            let anchor = format!("&{anchor}");
            self.write_indicator(&anchor, true, false, false);
        }
        match &nodes[id] {
            OutNode::Scalar(scalar) => self.scalar(scalar, context),
            OutNode::Seq(items) => {
                if items.is_empty() {
                    self.empty_flow_collection("[", "]");
                    return;
                }
                // A sequence that is a mapping's value starts on the next line at
                // the key's own indentation.
                let indentless = context == Context::Mapping && !self.indention;
                self.increase_indent(false, indentless);
                for &item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Context::Sequence);
                }
                self.restore_indent();
            }
            OutNode::Map(tag, entries) => {
                if let Some(tag) = tag {
                    self.write_indicator(tag, true, false, false);
                }
                if entries.is_empty() {
                    self.empty_flow_collection("{", "}");
                    return;
                }
                self.increase_indent(false, false);
                for &(key, value) in entries {
                    self.write_indent();
                    if self.is_simple_key(key) {
                        self.node(key, Context::SimpleKey);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(key, Context::Mapping);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(value, Context::Mapping);
                }
                self.restore_indent();
            }
        }
    }

    fn empty_flow_collection(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    /// A key short enough and on one line is written `key: value`; any other
    /// is written as `? key` then `: value`.
    fn is_simple_key(&self, id: NodeId) -> bool {
        let anchor_length = self.anchors[id].as_ref().map_or(0, String::len);
        match &self.nodes[id] {
            OutNode::Scalar(scalar) => {
                // PyYAML counts the tag even though an implicit one is not written.
                let text: Vec<char> = scalar.value.chars().collect();
                let analysis = analyze(&text);
                anchor_length + scalar.tag.len() + text.len() < 128
                    && !analysis.empty
                    && !analysis.multiline
            }
            OutNode::Seq(items) => anchor_length < 128 && items.is_empty(),
            OutNode::Map(tag, entries) => {
                anchor_length + tag.map_or(0, str::len) < 128 && entries.is_empty()
            }
        }
    }

    fn scalar(&mut self, scalar: &OutScalar<'_>, context: Context) {
        let text: Vec<char> = scalar.value.chars().collect();
        let analysis = analyze(&text);
        let simple_key = context == Context::SimpleKey;
        let style = if scalar.plain_implicit
            && !(simple_key && (analysis.empty || analysis.multiline))
            && analysis.allow_block_plain
        {
            Style::Plain
        } else if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let needs_tag = match style {
            Style::Plain => !scalar.plain_implicit,
            Style::Single | Style::Double => !scalar.quoted_implicit,
        };
        if needs_tag {
            self.write_indicator(scalar.tag, true, false, false);
        }
        self.increase_indent(true, false);
        // Keys are never folded.
        let split = !simple_key;
        match style {
            Style::Plain => self.write_plain(&text, split),
            Style::Single => self.write_single_quoted(&text, split),
            Style::Double => self.write_double_quoted(&text, split),
        }
        self.restore_indent();
    }

    fn write_str(&mut self, text: &str) {
        self.column += text.chars().count();
        self.out.push_str(text);
    }

    fn write_chars(&mut self, text: &[char]) {
        self.column += text.len();
        self.out.extend(text.iter());
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write_str(" ");
        }
        self.write_str(indicator);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            for _ in self.column..indent {
                self.out.push(' ');
            }
            self.column = indent;
        }
    }

    fn write_line_break(&mut self, line_break: Option<char>) {
        self.out.push(line_break.unwrap_or('\n'));
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    /// Writes a run of line breaks found inside a quoted or plain scalar. A
    /// lone `\n` would fold into a space when read back, so it is doubled.
    fn write_breaks(&mut self, breaks: &[char]) {
        if breaks.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &b in breaks {
            self.write_line_break((b != '\n').then_some(b));
        }
        self.write_indent();
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_str(" ");
        }
        self.whitespace = false;
        self.indention = false;
        // Plain text here never has line breaks (analysis forbids them), so
        // it is words separated by runs of spaces; a single space past the
        // width becomes a line break.
        let mut start = 0;
        while start < text.len() {
            let end = start
                + text[start..]
                    .iter()
                    .take_while(|&&c| (c == ' ') == (text[start] == ' '))
                    .count();
            if text[start] == ' ' && end == start + 1 && self.column > WIDTH && split {
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
            } else {
                self.write_chars(&text[start..end]);
            }
            start = end;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut start = 0;
        while start < text.len() {
            let c = text[start];
            if c == ' ' {
                let end = start + text[start..].iter().take_while(|&&c| c == ' ').count();
                // A single inner space past the width becomes a line break
                // (read back as a space).
                if end == start + 1
                    && self.column > WIDTH
                    && split
                    && start != 0
                    && end != text.len()
                {
                    self.write_indent();
                } else {
                    self.write_chars(&text[start..end]);
                }
                start = end;
            } else if is_break(c) {
                let end = start + text[start..].iter().take_while(|&&c| is_break(c)).count();
                self.write_breaks(&text[start..end]);
                start = end;
            } else if c == '\'' {
                self.write_str("''");
                start += 1;
            } else {
                let end = start
                    + text[start..]
                        .iter()
                        .take_while(|&&c| !(c == ' ' || c == '\'' || is_break(c)))
                        .count();
                self.write_chars(&text[start..end]);
                start = end;
            }
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        // `start..end` is the pending run of characters written as they are.
        let mut start = 0;
        for end in 0..=text.len() {
            let c = text.get(end).copied();
            let needs_escape = match c {
                None => true,
                Some(c) => {
                    matches!(
                        c,
                        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
                    ) || !(' '..='~').contains(&c)
                }
            };
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = c {
                    let escape = match c {
                        '\0' => "\\0".to_string(),
                        '\u{07}' => "\\a".to_string(),
                        '\u{08}' => "\\b".to_string(),
                        '\t' => "\\t".to_string(),
                        '\n' => "\\n".to_string(),
                        '\u{0B}' => "\\v".to_string(),
                        '\u{0C}' => "\\f".to_string(),
                        '\r' => "\\r".to_string(),
                        '\u{1B}' => "\\e".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\u{85}' => "\\N".to_string(),
                        '\u{A0}' => "\\_".to_string(),
                        '\u{2028}' => "\\L".to_string(),
                        '\u{2029}' => "\\P".to_string(),
                        c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write_str(&escape);
                    start = end + 1;
                }
            }
            // Fold before a space, or between escapes, once past the width:
            // a trailing `\` joins the lines back without a space, and a
            // continuation line starting with a space escapes it with `\`.
            if split
                && 0 < end
                && end + 1 < text.len()
                && (c == Some(' ') || start >= end)
                // `start` may be one past `end` after an escape: PyYAML then
                // compares `column - 1`.
                && (self.column + end) as isize - start as isize > WIDTH as isize
            {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                self.write_str("\\");
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text[start] == ' ' {
                    self.write_str("\\");
                }
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}
