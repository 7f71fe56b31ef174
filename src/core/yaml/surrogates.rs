//! Escaped UTF-16 surrogates in double-quoted scalars (`"\ud83d\ude00"`).
//!
//! PyYAML reads `\uD800`-`\uDFFF` (and `\U0000D800`-...) into Python
//! strings as lone surrogate code points: a pair stays two code points (it
//! is not combined), which is how a JSON-minded writer spells an emoji, and
//! which every UTF-8 or JSON consumer of the text reads as that emoji.
//! saphyr-parser refuses such escapes outright. Here a pair becomes the
//! character it encodes; a lone surrogate, which no UTF-8 text can hold
//! (Python itself cannot print or write it as UTF-8), is an error naming
//! where it is.
//!
//! To get them past the parser, each distinct escape is first replaced by
//! an escape of the same length for a private-use character that appears in
//! the file neither as a character nor as escape text; positions in error
//! messages stay those of the file. The parsed values then get the real
//! characters back (double quotes) or the original escape text (other
//! styles, where a backslash is not an escape).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use saphyr_parser::ScalarStyle;

use super::error::LoadError;
use super::graph::{Graph, Kind, Node};

struct Placeholder {
    /// The escape as written in the file (`\ud83d`).
    escape: String,
    /// The same-length escape put in its place (`\uE000`).
    replacement: String,
    /// What the replacement decodes to in a double-quoted scalar.
    stands_for: char,
    /// The surrogate the original escape names.
    surrogate: u32,
}

/// The escapes replaced in a text, to be undone in its parsed values.
pub(super) struct Protected {
    placeholders: Vec<Placeholder>,
    /// Index into `placeholders`, by the character and by the escape text
    /// standing in (a file may hold up to 4,096 distinct surrogate escapes).
    by_char: HashMap<char, usize>,
    by_replacement: HashMap<String, usize>,
}

/// Escapes of surrogates at odd backslash runs (an even run is escaped
/// backslashes followed by text), as (byte offset, length, surrogate).
fn surrogate_escapes(text: &str) -> Vec<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'\\', &bytes[i..]) {
        let start = i + offset;
        let run = bytes[start..].iter().take_while(|&&b| b == b'\\').count();
        let escape = start + run - 1;
        i = start + run;
        if run % 2 == 0 {
            continue;
        }
        let digits = match bytes.get(escape + 1) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => continue,
        };
        let Some(hex) = text.get(escape + 2..escape + 2 + digits) else {
            continue;
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        if let Ok(value @ 0xD800..=0xDFFF) = u32::from_str_radix(hex, 16) {
            found.push((escape, 2 + digits, value));
        }
    }
    found
}

/// Every `\uXXXX` / `\UXXXXXXXX` in `text`, escape or not, hex upper-cased.
fn escape_texts(text: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    for (offset, _) in text.match_indices('\\') {
        let length = match text.as_bytes().get(offset + 1) {
            Some(b'u') => 6,
            Some(b'U') => 10,
            _ => continue,
        };
        if let Some(candidate) = text.get(offset..offset + length) {
            let (head, hex) = candidate.split_at(2);
            found.insert(format!("{head}{}", hex.to_ascii_uppercase()));
        }
    }
    found
}

/// `text` with surrogate escapes replaced, or `None` when it has none.
pub(super) fn protect(text: &str) -> Option<(String, Protected)> {
    if !text.contains("\\u") && !text.contains("\\U") {
        return None;
    }
    let escapes = surrogate_escapes(text);
    if escapes.is_empty() {
        return None;
    }
    // One pass each, so that choosing thousands of placeholders stays linear.
    let private_in_text: HashSet<char> = text
        .chars()
        .filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c))
        .collect();
    let escapes_in_text = escape_texts(text);
    let mut placeholders: Vec<Placeholder> = Vec::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    let mut candidates = ('\u{E000}'..='\u{F8FF}').filter(|c| !private_in_text.contains(c));
    let mut protected = String::with_capacity(text.len());
    let mut copied = 0;
    for (offset, length, surrogate) in escapes {
        let escape = &text[offset..offset + length];
        let index = match index_of.get(escape) {
            Some(&index) => index,
            None => {
                let (stands_for, replacement) = loop {
                    let c = candidates.next()?;
                    let replacement = if length == 6 {
                        format!("\\u{:04X}", c as u32)
                    } else {
                        format!("\\U{:08X}", c as u32)
                    };
                    if !escapes_in_text.contains(&replacement) {
                        break (c, replacement);
                    }
                };
                index_of.insert(escape, placeholders.len());
                placeholders.push(Placeholder {
                    escape: escape.to_owned(),
                    replacement,
                    stands_for,
                    surrogate,
                });
                placeholders.len() - 1
            }
        };
        protected.push_str(&text[copied..offset]);
        protected.push_str(&placeholders[index].replacement);
        copied = offset + length;
    }
    protected.push_str(&text[copied..]);
    let by_char = placeholders
        .iter()
        .enumerate()
        .map(|(i, p)| (p.stands_for, i))
        .collect();
    let by_replacement = placeholders
        .iter()
        .enumerate()
        .map(|(i, p)| (p.replacement.clone(), i))
        .collect();
    Some((
        protected,
        Protected {
            placeholders,
            by_char,
            by_replacement,
        },
    ))
}

impl Protected {
    /// The graph of the protected text with the file's values back; its
    /// scalars are owned, so it no longer borrows the protected text.
    pub(super) fn restore<'a>(
        &self,
        graph: Graph<'_>,
        path: &Path,
    ) -> Result<Graph<'a>, LoadError> {
        let nodes = graph
            .nodes
            .into_iter()
            .map(|node| {
                let kind = match node.kind {
                    Kind::Scalar(value, style) => {
                        let value = if style == ScalarStyle::DoubleQuoted {
                            self.decode(&value).map_err(|message| {
                                LoadError::at(path, node.line, node.column, message)
                            })?
                        } else {
                            self.unreplace(&value)
                        };
                        Kind::Scalar(Cow::Owned(value), style)
                    }
                    Kind::Seq(items) => Kind::Seq(items),
                    Kind::Map(entries) => Kind::Map(entries),
                };
                Ok(Node {
                    kind,
                    tag: node.tag,
                    line: node.line,
                    column: node.column,
                })
            })
            .collect::<Result<_, LoadError>>()?;
        Ok(Graph {
            nodes,
            root: graph.root,
        })
    }

    fn placeholder_for(&self, c: char) -> Option<&Placeholder> {
        self.by_char.get(&c).map(|&i| &self.placeholders[i])
    }

    /// A double-quoted value: each pair becomes its character.
    fn decode(&self, value: &str) -> Result<String, String> {
        let mut decoded = String::with_capacity(value.len());
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            let Some(first) = self.placeholder_for(c) else {
                decoded.push(c);
                continue;
            };
            let low = chars
                .peek()
                .and_then(|&next| self.placeholder_for(next))
                .filter(|_| (0xD800..0xDC00).contains(&first.surrogate))
                .map(|p| p.surrogate)
                .filter(|low| (0xDC00..0xE000).contains(low));
            let Some(low) = low else {
                return Err(format!(
                    "`{}` is half of a UTF-16 surrogate pair without its other half; \
                     PyYAML keeps it, but no UTF-8 text can hold it",
                    first.escape
                ));
            };
            chars.next();
            let code = 0x10000 + ((first.surrogate - 0xD800) << 10) + (low - 0xDC00);
            decoded.extend(char::from_u32(code));
        }
        Ok(decoded)
    }

    /// A value of another style, where the escapes were plain text.
    fn unreplace(&self, value: &str) -> String {
        if !value.contains('\\') {
            return value.to_owned();
        }
        let mut restored = String::with_capacity(value.len());
        let mut copied = 0;
        for (offset, _) in value.match_indices('\\') {
            if offset < copied {
                continue;
            }
            let length = match value.as_bytes().get(offset + 1) {
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => continue,
            };
            let Some(candidate) = value.get(offset..offset + length) else {
                continue;
            };
            if let Some(&i) = self.by_replacement.get(candidate) {
                restored.push_str(&value[copied..offset]);
                restored.push_str(&self.placeholders[i].escape);
                copied = offset + length;
            }
        }
        restored.push_str(&value[copied..]);
        restored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_odd_backslash_runs_before_u_are_escapes() {
        let text = r#"a: "\ud83d \\ud83d \\\uDE00 \U0000d83d \u0041""#;
        let found: Vec<u32> = surrogate_escapes(text).into_iter().map(|e| e.2).collect();
        assert_eq!(found, [0xD83D, 0xDE00, 0xD83D]);
    }

    #[test]
    fn placeholders_keep_positions_and_avoid_text_in_the_file() {
        let text = "a: \"\\ud83d\\ude00\" # \\uE000 \u{E001}\n";
        let (protected, table) = protect(text).expect("has surrogates");
        assert_eq!(protected.len(), text.len());
        assert!(!protected.contains("\\ud83d"));
        let chosen: Vec<char> = table.placeholders.iter().map(|p| p.stands_for).collect();
        assert_eq!(chosen, ['\u{E002}', '\u{E003}']);
    }
}
