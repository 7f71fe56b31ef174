//! A fast reader for the YAML that PyYAML writes, which is what every
//! `templates.yaml` is: block mappings with plain keys, indentless block
//! sequences of scalars, plain / single-quoted / double-quoted scalars
//! folded over lines, `[]` and `{}`, local tags and `&idNNN` / `*idNNN`.
//!
//! It builds the same node graph (same node order, values, styles, tags and
//! positions) as the general reader, about three times faster, which is
//! most of the time of loading a collection. Anything outside that subset
//! (comments, block scalars, flow collections with content, complex keys,
//! CRLF, quoted keys, directives, anything unusual) makes it give up with
//! `None`, and the general reader, which also produces the error messages,
//! takes over. A test checks that both readers agree on every file of the
//! PromptSource collection and every fixture.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::ScalarStyle;

use super::graph::{Graph, Kind, Node, NodeId, MAX_DEPTH};

/// The graph of `text`, or `None` if it is not in the subset this reader knows.
pub(super) fn build_graph(text: &str) -> Option<Graph<'_>> {
    // PyYAML never writes a raw tab (it escapes them in double quotes);
    // where tabs are allowed is the general reader's to check.
    if text.contains(['\r', '\t']) || text.starts_with('\u{FEFF}') {
        return None;
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return None;
    }
    let mut reader = Reader {
        lines: body.split('\n').collect(),
        line: 0,
        nodes: Vec::with_capacity(text.len() / 16),
        anchors: HashMap::new(),
        depth: 0,
    };
    if reader.indentation(0)? != 0 {
        return None;
    }
    let root = reader.block_mapping(0, Start { line: 0, column: 0 }, None)?;
    if reader.line != reader.lines.len() {
        return None;
    }
    Some(Graph {
        nodes: reader.nodes,
        root,
    })
}

/// Where a node starts: 0-based line index and 0-based character column.
#[derive(Clone, Copy)]
struct Start {
    line: usize,
    column: usize,
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    /// The next line to read.
    line: usize,
    nodes: Vec<Node<'a>>,
    anchors: HashMap<&'a str, NodeId>,
    /// Collections open around the current line.
    depth: usize,
}

fn is_space_or_tab(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn char_column(line: &str, byte: usize) -> usize {
    let prefix = &line[..byte];
    if prefix.is_ascii() {
        byte
    } else {
        prefix.chars().count()
    }
}

impl<'a> Reader<'a> {
    /// The indentation of line `index` (spaces only); `None` for a line that
    /// is blank, indented with a tab, or a comment, none of which PyYAML writes
    /// between nodes.
    fn indentation(&self, index: usize) -> Option<usize> {
        let line = self.lines.get(index)?;
        let indent = line.len() - line.trim_start_matches(' ').len();
        match line.as_bytes().get(indent) {
            None | Some(b'\t' | b'#') => None,
            Some(_) => Some(indent),
        }
    }

    /// Opens a collection, leaving nesting past the limit to the general
    /// reader, which reports it.
    fn enter(&mut self) -> Option<()> {
        if self.depth == MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        Some(())
    }

    fn push(&mut self, kind: Kind<'a>, tag: Option<String>, start: Start) -> NodeId {
        self.nodes.push(Node {
            kind,
            tag,
            line: start.line + 1,
            column: start.column + 1,
        });
        self.nodes.len() - 1
    }

    fn add_child(&mut self, parent: NodeId, child: NodeId) {
        if let Kind::Seq(items) = &mut self.nodes[parent].kind {
            items.push(child);
        }
    }

    fn add_entry(&mut self, parent: NodeId, key: NodeId, value: NodeId) {
        if let Kind::Map(entries) = &mut self.nodes[parent].kind {
            entries.push((key, value));
        }
    }

    /// Entries `key: value` at column `indent`, from the current line on.
    fn block_mapping(
        &mut self,
        indent: usize,
        start: Start,
        tag: Option<String>,
    ) -> Option<NodeId> {
        self.enter()?;
        let map = self.push(Kind::Map(Vec::new()), tag, start);
        while self.line < self.lines.len() {
            let current = self.indentation(self.line)?;
            if current < indent {
                break;
            }
            let rest = &self.lines[self.line][indent..];
            // Deeper lines or a sequence here would be errors: the general
            // reader reports them.
            if current > indent || rest.starts_with('-') && plain_key_end(rest).is_none() {
                return None;
            }
            // Document markers.
            if indent == 0 && (rest.starts_with("---") || rest.starts_with("...")) {
                return None;
            }
            let colon = plain_key_end(rest)?;
            let key_start = Start {
                line: self.line,
                column: indent,
            };
            let key = self.push(
                Kind::Scalar(Cow::Borrowed(&rest[..colon]), ScalarStyle::Plain),
                None,
                key_start,
            );
            let after = indent + colon + 1;
            let value = self.value(indent, after, true)?;
            self.add_entry(map, key, value);
        }
        self.depth -= 1;
        Some(map)
    }

    /// Items `- value` at column `indent`, from the current line on.
    fn block_sequence(
        &mut self,
        indent: usize,
        start: Start,
        tag: Option<String>,
    ) -> Option<NodeId> {
        self.enter()?;
        let seq = self.push(Kind::Seq(Vec::new()), tag, start);
        while self.line < self.lines.len() && self.indentation(self.line)? == indent {
            let rest = &self.lines[self.line][indent..];
            if !rest.starts_with("- ") {
                break;
            }
            let item = self.value(indent, indent + 1, false)?;
            self.add_child(seq, item);
        }
        self.depth -= 1;
        Some(seq)
    }

    /// The node that follows an indicator (`key:` or `-`) ending before
    /// byte `from` of the current line, in a collection at column `indent`.
    fn value(&mut self, indent: usize, from: usize, in_mapping: bool) -> Option<NodeId> {
        let line_index = self.line;
        let line = self.lines[line_index];
        let mut rest = &line[from..];
        if rest.is_empty() {
            // A block collection starting on the next line.
            self.line += 1;
            return self.block_collection(indent, in_mapping, None, None);
        }
        rest = strip_one_space(rest)?;
        let mut position = line.len() - rest.len();
        let mut node_start: Option<Start> = None;
        let mut anchor = None;
        let mut tag = None;
        // Properties: an anchor and a local tag, in either order.
        loop {
            let start = Start {
                line: line_index,
                column: char_column(line, position),
            };
            if let Some(name) = rest.strip_prefix('&') {
                let length = name.find(' ').unwrap_or(name.len());
                let name = &name[..length];
                if anchor.is_some() || !valid_anchor(name) {
                    return None;
                }
                anchor = Some(name);
                node_start.get_or_insert(start);
                rest = &rest[1 + length..];
            } else if let Some(suffix) = rest.strip_prefix('!') {
                let length = suffix.find(' ').unwrap_or(suffix.len());
                let suffix = &suffix[..length];
                if tag.is_some()
                    || suffix.is_empty()
                    || !suffix
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return None;
                }
                tag = Some(format!("!{suffix}"));
                node_start.get_or_insert(start);
                rest = &rest[1 + length..];
            } else {
                break;
            }
            if rest.is_empty() {
                self.line += 1;
                let id = self.block_collection(indent, in_mapping, tag, node_start)?;
                return self.register(anchor, id);
            }
            rest = strip_one_space(rest)?;
            position = line.len() - rest.len();
        }
        let start = Start {
            line: line_index,
            column: char_column(line, position),
        };
        let node_start = node_start.unwrap_or(start);
        let id = if let Some(name) = rest.strip_prefix('*') {
            if anchor.is_some() || tag.is_some() || !valid_anchor(name) {
                return None;
            }
            self.line += 1;
            return self.anchors.get(name).copied();
        } else if rest == "[]" || rest == "{}" {
            if self.depth == MAX_DEPTH {
                return None;
            }
            self.line += 1;
            let kind = if rest == "[]" {
                Kind::Seq(Vec::new())
            } else {
                Kind::Map(Vec::new())
            };
            self.push(kind, tag, node_start)
        } else if tag.is_some() {
            // Tagged scalars are left to the general reader.
            return None;
        } else if let Some(body) = rest.strip_prefix('\'') {
            let value = self.single_quoted(indent, body)?;
            self.push(
                Kind::Scalar(value, ScalarStyle::SingleQuoted),
                None,
                node_start,
            )
        } else if let Some(body) = rest.strip_prefix('"') {
            let value = self.double_quoted(indent, body)?;
            self.push(
                Kind::Scalar(value, ScalarStyle::DoubleQuoted),
                None,
                node_start,
            )
        } else {
            let value = self.plain(indent, rest)?;
            self.push(Kind::Scalar(value, ScalarStyle::Plain), None, node_start)
        };
        self.register(anchor, id)
    }

    fn register(&mut self, anchor: Option<&'a str>, id: NodeId) -> Option<NodeId> {
        if let Some(name) = anchor {
            self.anchors.insert(name, id);
        }
        Some(id)
    }

    /// A block mapping or sequence starting at the current line, as the
    /// value of a key (`in_mapping`: a sequence may then sit at the key's
    /// own column) or of a sequence item (left to the general reader).
    fn block_collection(
        &mut self,
        indent: usize,
        in_mapping: bool,
        tag: Option<String>,
        properties_start: Option<Start>,
    ) -> Option<NodeId> {
        if !in_mapping {
            return None;
        }
        let next = self.indentation(self.line)?;
        let rest = &self.lines[self.line][next..];
        let start = properties_start.unwrap_or(Start {
            line: self.line,
            column: next,
        });
        if next == indent && rest.starts_with("- ") {
            // saphyr-parser places a sequence without properties at its first
            // item's content, after the `- `.
            let start = properties_start.unwrap_or(Start {
                line: self.line,
                column: next + 2,
            });
            self.block_sequence(indent, start, tag)
        } else if next > indent && !rest.starts_with('-') {
            self.block_mapping(next, start, tag)
        } else {
            None
        }
    }

    /// The lines after the current one that continue a scalar of a
    /// collection at column `indent`: indented deeper, or blank.
    fn continuation(&self, index: usize, indent: usize) -> Option<&'a str> {
        let line = self.lines.get(index)?;
        let content = line.trim_start_matches(' ');
        if content.is_empty() {
            return Some("");
        }
        (line.len() - content.len() > indent && !content.starts_with('\t')).then_some(content)
    }

    /// A plain scalar that starts with `first` on the current line and may
    /// be folded over deeper-indented lines.
    fn plain(&mut self, indent: usize, first: &'a str) -> Option<Cow<'a, str>> {
        let mut chars = first.chars();
        let head = chars.next()?;
        let followed_by_space = matches!(chars.next(), None | Some(' '));
        if "#,[]{}&*!|>'\"%@`".contains(head) || ("-?:".contains(head) && followed_by_space) {
            return None;
        }
        if !plain_line_is_simple(first) {
            return None;
        }
        self.line += 1;
        let mut value = Cow::Borrowed(first);
        while let Some(next) = self.continuation(self.line, indent) {
            // Blank lines in a plain scalar and comments are left to the
            // general reader. (`- ` and `? ` are content here, not indicators.)
            if next.is_empty() || next.starts_with('#') || !plain_line_is_simple(next) {
                return None;
            }
            let owned = value.to_mut();
            owned.push(' ');
            owned.push_str(next);
            self.line += 1;
        }
        Some(value)
    }

    /// The content of a single-quoted scalar whose text after the opening
    /// quote is `body` on the current line.
    fn single_quoted(&mut self, indent: usize, body: &'a str) -> Option<Cow<'a, str>> {
        // The common case: on one line, without escaped quotes.
        if let Some(end) = body.find('\'') {
            if !body[end + 1..].starts_with('\'') {
                if end + 1 != body.len() {
                    return None;
                }
                self.line += 1;
                return Some(Cow::Borrowed(&body[..end]));
            }
        }
        let mut value = String::new();
        let mut text = body;
        loop {
            let mut chars = text.char_indices();
            let mut closed = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if text[i + 1..].starts_with('\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        closed = Some(i);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            if let Some(end) = closed {
                if end + 1 != text.len() {
                    return None;
                }
                self.line += 1;
                return Some(Cow::Owned(value));
            }
            // Fold: trailing blanks go, blank lines become line breaks, a
            // single line break becomes a space.
            let kept = value.trim_end_matches(is_space_or_tab).len();
            value.truncate(kept);
            text = self.fold_lines(indent, &mut value)?;
        }
    }

    /// Moves past the line break ending the current line and any blank
    /// lines, appending what they fold into, and returns the next content.
    fn fold_lines(&mut self, indent: usize, value: &mut String) -> Option<&'a str> {
        let mut blank_lines = 0;
        loop {
            self.line += 1;
            let next = self.continuation(self.line, indent)?;
            if next.is_empty() {
                blank_lines += 1;
                continue;
            }
            if blank_lines == 0 {
                value.push(' ');
            } else {
                value.extend(std::iter::repeat_n('\n', blank_lines));
            }
            return Some(next.trim_start_matches(is_space_or_tab));
        }
    }

    fn double_quoted(&mut self, indent: usize, body: &'a str) -> Option<Cow<'a, str>> {
        // The common case: on one line, without escapes.
        if let Some(end) = body.find(['"', '\\']) {
            if body.as_bytes()[end] == b'"' {
                if end + 1 != body.len() {
                    return None;
                }
                self.line += 1;
                return Some(Cow::Borrowed(&body[..end]));
            }
        }
        let mut value = String::new();
        let mut text = body;
        // Escaped characters must survive the trimming of trailing blanks.
        let mut protected = 0;
        loop {
            let mut chars = text.char_indices();
            let mut escaped_break = false;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        if i + 1 != text.len() {
                            return None;
                        }
                        self.line += 1;
                        return Some(Cow::Owned(value));
                    }
                    '\\' => {
                        let Some((_, escape)) = chars.next() else {
                            escaped_break = true;
                            break;
                        };
                        let decoded = match escape {
                            '0' => '\0',
                            'a' => '\u{07}',
                            'b' => '\u{08}',
                            't' | '\t' => '\t',
                            'n' => '\n',
                            'v' => '\u{0B}',
                            'f' => '\u{0C}',
                            'r' => '\r',
                            'e' => '\u{1B}',
                            ' ' => ' ',
                            '"' => '"',
                            '/' => '/',
                            '\\' => '\\',
                            'N' => '\u{85}',
                            '_' => '\u{A0}',
                            'L' => '\u{2028}',
                            'P' => '\u{2029}',
                            'x' | 'u' | 'U' => {
                                let digits = match escape {
                                    'x' => 2,
                                    'u' => 4,
                                    _ => 8,
                                };
                                let hex = text.get(i + 2..i + 2 + digits)?;
                                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                    return None;
                                }
                                for _ in 0..digits {
                                    chars.next();
                                }
                                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                            }
                            _ => return None,
                        };
                        value.push(decoded);
                        protected = value.len();
                    }
                    c => value.push(c),
                }
            }
            if escaped_break {
                // `\` at the end of a line joins it to the next one without a
                // space; the next line's indentation is not content.
                self.line += 1;
                let next = self.continuation(self.line, indent)?;
                if next.is_empty() {
                    return None;
                }
                text = next.trim_start_matches(is_space_or_tab);
                continue;
            }
            let kept = value.trim_end_matches(is_space_or_tab).len().max(protected);
            value.truncate(kept);
            text = self.fold_lines(indent, &mut value)?;
        }
    }
}

/// The text after exactly one separating space, as PyYAML writes it;
/// more white space is left to the general reader.
fn strip_one_space(text: &str) -> Option<&str> {
    text.strip_prefix(' ')
        .filter(|rest| !rest.starts_with([' ', '\t']))
}

fn valid_anchor(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Where `key: ` ends in a line of a block mapping written by PyYAML (the
/// byte of the `:`), for a plain key; `None` for anything else.
fn plain_key_end(rest: &str) -> Option<usize> {
    let head = rest.chars().next()?;
    if "#,[]{}&*!|>'\"%@`?:-".contains(head) {
        return None;
    }
    let bytes = rest.as_bytes();
    let colon = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ')))?;
    let key = &rest[..colon];
    (plain_line_is_simple(key) && !key.ends_with(' ')).then_some(colon)
}

/// A line of plain text that means the same to every YAML reader: no
/// comment, no `: ` that would start a mapping, no tab, no trailing blank.
fn plain_line_is_simple(text: &str) -> bool {
    !(text.contains(" #")
        || text.contains(": ")
        || text.ends_with(':')
        || text.contains('\t')
        || text.ends_with(' '))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::build_graph;
    use crate::core::yaml::graph::general_graph;

    fn yaml_files(folder: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }

    /// Both readers give the same graph, or the fast one gives up.
    fn agree(text: &str, name: &str) -> bool {
        let general = general_graph(text, Path::new(name)).map_err(|e| e.to_string());
        match build_graph(text) {
            Some(fast) => {
                let general = general
                    .unwrap_or_else(|e| panic!("{name}: only the general reader fails: {e}"));
                let first_difference = fast
                    .nodes
                    .iter()
                    .zip(&general.nodes)
                    .position(|(a, b)| a != b);
                if let Some(i) = first_difference {
                    panic!(
                        "{name}: node {i} differs:\n{:?}\n{:?}",
                        fast.nodes[i], general.nodes[i]
                    );
                }
                assert_eq!(fast, general, "{name}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn fast_reader_agrees_with_the_general_reader() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("../shared/conformance"))
            .join("templates");
        let mut files = Vec::new();
        yaml_files(&corpus, &mut files);
        let corpus_files = files.len();
        if corpus_files == 0 {
            println!("SKIP: conformance corpus not found; checking fixtures only");
        }
        yaml_files(&manifest.join("tests/fixtures/yaml"), &mut files);
        let mut fast = 0;
        for (index, path) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path).expect("readable fixture");
            let took_fast_path = agree(&text, &path.display().to_string());
            // Every PromptSource file must take the fast path; fixtures may
            // hold what it leaves to the general reader (lists of mappings,
            // complex keys, hand-written styles).
            assert!(
                took_fast_path || index >= corpus_files,
                "fast reader gave up on {}",
                path.display()
            );
            fast += usize::from(took_fast_path);
        }
        let random = std::fs::read_to_string(manifest.join("tests/fixtures/yaml/random.jsonl"))
            .expect("fixture");
        let mut checked = files.len();
        for (index, line) in random.lines().enumerate() {
            let case: serde_json::Value = serde_json::from_str(line).expect("JSON");
            let text = case["expected"].as_str().expect("YAML");
            fast += usize::from(agree(text, &format!("random.jsonl:{}", index + 1)));
            checked += 1;
        }
        // Random models often need what the fast reader leaves to the
        // general one (quoted or complex keys, lists of mappings), but most
        // fixtures must still exercise it.
        let fixtures = checked - corpus_files;
        assert!(
            2 * (fast - corpus_files) > fixtures,
            "only {fast} of {checked} files took the fast path"
        );
    }

    /// Small random edits of PyYAML output (YAML-significant characters
    /// inserted, deleted or replaced): whenever the fast reader accepts the
    /// result, the general reader must accept it too and agree.
    #[test]
    fn fast_reader_never_accepts_what_the_general_reader_reads_differently() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&manifest.join("tests/fixtures/yaml/edits"), &mut files);
        files.sort();
        let significant: Vec<char> = " \n\t'\"\\:#-?&*!|>[]{},%@`~xé".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: usize| {
            // xorshift64*: deterministic, so a failure reproduces.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
        };
        let mut accepted = 0;
        for path in &files {
            let original: Vec<char> = std::fs::read_to_string(path)
                .expect("readable")
                .chars()
                .collect();
            for _ in 0..60 {
                let mut text = original.clone();
                for _ in 0..1 + next(3) {
                    let at = next(text.len());
                    let c = significant[next(significant.len())];
                    match next(3) {
                        0 => text.insert(at, c),
                        1 => {
                            text.remove(at);
                        }
                        _ => text[at] = c,
                    }
                }
                let text: String = text.into_iter().collect();
                if let Some(fast) = build_graph(&text) {
                    let general = general_graph(&text, path).unwrap_or_else(|e| {
                        panic!("only the general reader rejects this ({e}):\n{text}")
                    });
                    assert_eq!(fast, general, "readers disagree on:\n{text}");
                    accepted += 1;
                }
            }
        }
        assert!(
            accepted > 100,
            "only {accepted} mutations took the fast path"
        );
    }

    #[test]
    fn fast_reader_gives_up_on_what_it_does_not_know() {
        let cases = [
            "a: b # comment\n",
            "a: |\n  literal\n",
            "a: {b: c}\n",
            "? complex\n: key\n",
            "'quoted': key\n",
            "a: b\r\n",
            "%YAML 1.1\n---\na: b\n",
            "a:\n  - b\n  -\n    c: d\n",
            "a: !!str 1\n",
            "a: 'unterminated\n",
            "a: \"bad \\q escape\"\n",
            "a:  two spaces\n",
            "a: b\n...: c\n",
            "a: b\n\n",
        ];
        for text in cases {
            assert!(build_graph(text).is_none(), "{text:?}");
        }
    }
}
