//! The node graph both readers build from a document, and the general
//! reader that builds it from saphyr-parser's events. The graph keeps node
//! identity (an alias is the id of the node it names) and positions, which
//! the checker in [`super::read`] needs and a serde deserializer loses.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::error::LoadError;

pub(crate) type NodeId = usize;

/// How deep collections may nest. Checking and writing recurse, so this
/// bounds their stack use; PyYAML itself stops near Python's recursion limit.
pub(super) const MAX_DEPTH: usize = 512;

#[derive(Debug, PartialEq)]
pub(super) struct Node<'a> {
    pub(super) kind: Kind<'a>,
    /// The resolved tag (`!Template`, `tag:yaml.org,2002:str`, ...), if written.
    pub(super) tag: Option<String>,
    /// 1-based.
    pub(super) line: usize,
    /// 1-based, in characters.
    pub(super) column: usize,
}

#[derive(Debug, PartialEq)]
pub(super) enum Kind<'a> {
    Scalar(Cow<'a, str>, ScalarStyle),
    Seq(Vec<NodeId>),
    Map(Vec<(NodeId, NodeId)>),
}

/// The document as a graph: an alias is the id of the node it names, so
/// shared nodes are recognisable by id.
#[derive(Debug, PartialEq)]
pub(super) struct Graph<'a> {
    pub(super) nodes: Vec<Node<'a>>,
    pub(super) root: NodeId,
}

fn full_tag(handle: &str, suffix: &str) -> String {
    let mut tag = String::with_capacity(handle.len() + suffix.len());
    tag.push_str(handle);
    tag.push_str(suffix);
    tag
}

/// What an open collection has collected so far.
enum Children {
    Items(Vec<NodeId>),
    /// The entries and the key waiting for its value.
    Entries(Vec<(NodeId, NodeId)>, Option<NodeId>),
}

/// The graph of any YAML document, from saphyr-parser's events.
pub(super) fn general_graph<'a>(text: &'a str, path: &Path) -> Result<Graph<'a>, LoadError> {
    let mut nodes: Vec<Node<'a>> = Vec::new();
    // Open collections; their children are attached when they close.
    let mut open: Vec<(NodeId, Children)> = Vec::new();
    let mut anchors: HashMap<usize, NodeId> = HashMap::new();
    let mut root = None;
    let mut documents = 0;
    check_directives(text, path)?;
    let has_tabs = text.contains('\t');
    let mut scalar_spans: Vec<ScalarSpan> = Vec::new();

    for event in Parser::new_from_str(text) {
        let (event, span): (Event<'a>, Span) = match event {
            Ok(event) => event,
            Err(e) => {
                // PyYAML's scanner would have stopped at a tab before this.
                if has_tabs {
                    check_tabs(text, &scalar_spans, e.marker().index() + 1, path)?;
                }
                return Err(LoadError::at(
                    path,
                    e.marker().line(),
                    e.marker().col() + 1,
                    e.info().to_string(),
                ));
            }
        };
        let line = span.start.line();
        let column = span.start.col() + 1;
        let is_mapping = matches!(event, Event::MappingStart(..));
        let tag_of =
            |tag: Option<Cow<'_, saphyr_parser::Tag>>| tag.map(|t| full_tag(&t.handle, &t.suffix));
        let (completed, anchor) = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(LoadError::at(
                        path,
                        line,
                        column,
                        "expected a single document in the stream, but found another document"
                            .into(),
                    ));
                }
                continue;
            }
            Event::Alias(id) => {
                let Some(&target) = anchors.get(&id) else {
                    return Err(LoadError::at(
                        path,
                        line,
                        column,
                        "found undefined alias".into(),
                    ));
                };
                if open.iter().any(|&(node, _)| node == target) {
                    return Err(LoadError::at(
                        path,
                        line,
                        column,
                        "an alias refers to a node that contains it".into(),
                    ));
                }
                (target, 0)
            }
            Event::Scalar(value, style, anchor, tag) => {
                if has_tabs {
                    scalar_spans.push(ScalarSpan::new(span, style));
                }
                nodes.push(Node {
                    kind: Kind::Scalar(value, style),
                    tag: tag_of(tag),
                    line,
                    column,
                });
                (nodes.len() - 1, anchor)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let kind = if is_mapping {
                    Kind::Map(Vec::new())
                } else {
                    Kind::Seq(Vec::new())
                };
                nodes.push(Node {
                    kind,
                    tag: tag_of(tag),
                    line,
                    column,
                });
                let id = nodes.len() - 1;
                if anchor != 0 {
                    anchors.insert(anchor, id);
                }
                let children = if is_mapping {
                    Children::Entries(Vec::new(), None)
                } else {
                    Children::Items(Vec::new())
                };
                if open.len() == MAX_DEPTH {
                    return Err(LoadError::at(
                        path,
                        line,
                        column,
                        format!("collections are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                open.push((id, children));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some((id, children)) => {
                    nodes[id].kind = match children {
                        Children::Items(items) => Kind::Seq(items),
                        Children::Entries(entries, _) => Kind::Map(entries),
                    };
                    (id, 0)
                }
                None => continue,
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, completed);
        }
        match open.last_mut() {
            None => root = Some(completed),
            Some((_, Children::Items(items))) => items.push(completed),
            Some((_, Children::Entries(entries, pending_key))) => match pending_key.take() {
                None => *pending_key = Some(completed),
                Some(key) => entries.push((key, completed)),
            },
        }
    }
    if has_tabs {
        check_tabs(text, &scalar_spans, usize::MAX, path)?;
    }
    match root {
        Some(root) => Ok(Graph { nodes, root }),
        None => Err(LoadError::at(
            path,
            1,
            1,
            "the file is empty: expected a mapping with `dataset` and `templates`".into(),
        )),
    }
}

/// PyYAML reads only `%YAML 1.x`, once; saphyr-parser takes any version.
fn check_directives(text: &str, path: &Path) -> Result<(), LoadError> {
    let mut seen_version = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix('%') else {
            break;
        };
        let Some(value) = rest.strip_prefix("YAML").filter(|v| v.starts_with(' ')) else {
            continue;
        };
        let error = |message: &str| Err(LoadError::at(path, index + 1, 1, message.into()));
        if seen_version {
            return error("found duplicate YAML directive");
        }
        seen_version = true;
        let major = value
            .trim_start_matches(' ')
            .split('.')
            .next()
            .unwrap_or("");
        // PyYAML compares `int(major)` with 1 (`01` is 1); malformed
        // versions are left to the parser's own message.
        if !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && major.trim_start_matches('0') != "1"
        {
            return error("found incompatible YAML document (version 1.* is required)");
        }
    }
    Ok(())
}

/// Where a scalar was written, in characters, for [`check_tabs`].
struct ScalarSpan {
    start: usize,
    end: usize,
    /// Tabs are content here: in quotes, or in a block scalar's lines
    /// (whose span starts at its content, after the `|-  # comment` header).
    holds_tabs: bool,
}

impl ScalarSpan {
    fn new(span: Span, style: ScalarStyle) -> ScalarSpan {
        ScalarSpan {
            start: span.start.index(),
            end: span.end.index(),
            holds_tabs: style != ScalarStyle::Plain,
        }
    }
}

/// PyYAML's scanner skips only spaces between tokens and ends a plain
/// scalar at a tab, so a tab anywhere but inside quotes, a block scalar's
/// content or a comment is "found character '\t' that cannot start any
/// token" (`jinja:<TAB>text`, `a: b<TAB>c`, a tab-indented line);
/// saphyr-parser accepts some of these. `spans` are the document's scalars
/// in order; only the first `until` characters are checked.
fn check_tabs(
    text: &str,
    spans: &[ScalarSpan],
    until: usize,
    path: &Path,
) -> Result<(), LoadError> {
    let mut next_span = 0;
    let mut line = 1;
    let mut column = 1;
    let mut in_comment = false;
    for (index, c) in text.chars().take(until).enumerate() {
        while next_span < spans.len() && spans[next_span].end <= index {
            next_span += 1;
        }
        let span = spans.get(next_span).filter(|span| span.start <= index);
        match c {
            '\n' => {
                line += 1;
                column = 1;
                in_comment = false;
                continue;
            }
            '#' if span.is_none() => in_comment = true,
            '\t' if !in_comment && !span.is_some_and(|span| span.holds_tabs) => {
                return Err(LoadError::at(
                    path,
                    line,
                    column,
                    "found character '\\t' that cannot start any token".into(),
                ));
            }
            _ => {}
        }
        column += 1;
    }
    Ok(())
}
