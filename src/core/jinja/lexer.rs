//! Jinja2's lexer with the default environment settings: `{{ }}`, `{% %}`,
//! `{# #}`, `-` whitespace control, `raw` blocks, no line statements, no
//! trim/lstrip of blocks, and the source's newlines normalised to `\n` with
//! one trailing newline dropped (`keep_trailing_newline=False`).

use super::SyntaxError;
use crate::core::py::strings::is_python_space;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Template text between tags.
    Data(String),
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name(String),
    Str(String),
    Int(i64),
    Float(f64),
    Op(&'static str),
    Eof,
}

impl Tok {
    /// How Jinja2 names a token in "expected ..." messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Data(_) => "template data / text".to_string(),
            Tok::VariableBegin => "begin of print statement".to_string(),
            Tok::VariableEnd => "end of print statement".to_string(),
            Tok::BlockBegin => "begin of statement block".to_string(),
            Tok::BlockEnd => "end of statement block".to_string(),
            Tok::Name(name) => name.clone(),
            Tok::Str(_) => "string".to_string(),
            Tok::Int(_) => "integer".to_string(),
            Tok::Float(_) => "float".to_string(),
            Tok::Op(op) => op.to_string(),
            Tok::Eof => "end of template".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub column: usize,
}

/// Applies Jinja2's source preprocessing: every newline sequence becomes
/// `\n` and a single trailing newline is removed.
pub(crate) fn normalize_source(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(ch);
        }
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

const OPERATORS: [&str; 26] = [
    "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
    ">", "<", "=", ".", ":", "|", ",", ";",
];

/// Jinja2's `trim_blocks` / `lstrip_blocks` (both off by default, both on
/// in the environment transformers renders chat templates in).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LexOptions {
    /// The first newline after a block or comment tag is removed.
    pub trim_blocks: bool,
    /// Spaces and tabs from the start of a line up to a block or comment tag are removed.
    pub lstrip_blocks: bool,
}

struct Lexer<'s> {
    options: LexOptions,
    src: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    /// Brackets opened inside the current tag; while any is open the tag's
    /// end delimiter is not recognised (so `{{ {'a': {'b': 1}} }}` works).
    balance: Vec<char>,
    /// Line and column of the last token pushed: tokens come in source
    /// order, so each is located from the previous one, not from the start
    /// (which made compiling quadratic in the template's length).
    located: Location,
}

#[derive(Clone, Copy)]
struct Location {
    pos: usize,
    line: usize,
    column: usize,
}

impl Location {
    const START: Location = Location {
        pos: 0,
        line: 1,
        column: 1,
    };
}

/// Splits a (normalised) template source into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    tokenize_with(src, LexOptions::default())
}

/// [`tokenize`] with Jinja2's block whitespace options.
pub(crate) fn tokenize_with(src: &str, options: LexOptions) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        options,
        src,
        pos: 0,
        tokens: Vec::new(),
        balance: Vec::new(),
        located: Location::START,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = &src[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl<'s> Lexer<'s> {
    fn error(&self, pos: usize, message: String) -> SyntaxError {
        let (line, column) = line_col(self.src, pos);
        SyntaxError {
            message,
            line,
            column,
        }
    }

    fn push(&mut self, tok: Tok, pos: usize) {
        let mut at = self.located;
        if pos < at.pos {
            at = Location::START;
        }
        for ch in self.src[at.pos..pos].chars() {
            if ch == '\n' {
                at.line += 1;
                at.column = 1;
            } else {
                at.column += 1;
            }
        }
        at.pos = pos;
        self.located = at;
        self.tokens.push(Token {
            tok,
            line: at.line,
            column: at.column,
        });
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(is_python_space);
        self.pos += rest.len() - trimmed.len();
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        // Whether the previous tag ended with `-`, so the next data loses its
        // leading whitespace.
        let mut strip_next = false;
        loop {
            let rest = self.rest();
            let next_tag = find_tag_start(rest);
            let data_end = next_tag.unwrap_or(rest.len());
            let mut data = &rest[..data_end];
            if strip_next {
                data = data.trim_start_matches(is_python_space);
            }
            let tag = next_tag.map(|at| (&rest[at..at + 2], rest[at + 2..].starts_with('-')));
            if let Some((_, true)) = tag {
                data = data.trim_end_matches(is_python_space);
            } else if let Some((opener, false)) = tag {
                if self.options.lstrip_blocks
                    && opener != "{{"
                    && !rest[data_end + 2..].starts_with('+')
                {
                    data = lstrip_block(self.src, data);
                }
            }
            if !data.is_empty() {
                self.push(Tok::Data(data.to_string()), self.pos);
            }
            let Some((opener, _)) = tag else {
                self.pos = self.src.len();
                break;
            };
            self.pos += data_end;
            let tag_pos = self.pos;
            self.pos += 2;
            if self.rest().starts_with(['-', '+']) {
                self.pos += 1;
            }
            strip_next = match opener {
                "{#" => self.comment(tag_pos)?,
                "{%" => {
                    if let Some(strip) = self.try_raw(tag_pos)? {
                        strip
                    } else {
                        self.push(Tok::BlockBegin, tag_pos);
                        self.tag_body("%}")?
                    }
                }
                _ => {
                    self.push(Tok::VariableBegin, tag_pos);
                    self.tag_body("}}")?
                }
            };
            if self.options.trim_blocks && opener != "{{" && !strip_next {
                self.trim_block_newline();
            }
        }
        self.push(Tok::Eof, self.pos);
        Ok(())
    }

    /// `trim_blocks`: drops the newline right after a plain `%}` / `#}`
    /// (not after `+%}`, which keeps it).
    fn trim_block_newline(&mut self) {
        let before = &self.src[..self.pos];
        let plain_end = (before.ends_with("%}") || before.ends_with("#}"))
            && !before[..before.len() - 2].ends_with('+');
        if plain_end && self.rest().starts_with('\n') {
            self.pos += 1;
        }
    }

    fn comment(&mut self, start: usize) -> Result<bool, SyntaxError> {
        let rest = self.rest();
        let Some(end) = rest.find("#}") else {
            return Err(self.error(start, "Missing end of comment tag".to_string()));
        };
        let strip = rest[..end].ends_with('-');
        self.pos += end + 2;
        Ok(strip)
    }

    /// Handles `{% raw %}...{% endraw %}`; returns whether the text after it is stripped.
    fn try_raw(&mut self, start: usize) -> Result<Option<bool>, SyntaxError> {
        let rest = self.rest();
        let inner = rest.trim_start_matches(is_python_space);
        let Some(after) = inner.strip_prefix("raw") else {
            return Ok(None);
        };
        let after = after.trim_start_matches(is_python_space);
        let open_len = if after.starts_with("-%}") {
            3
        } else if after.starts_with("%}") {
            2
        } else {
            return Ok(None);
        };
        let strip_body_start = open_len == 3;
        let body_start = self.pos + (rest.len() - after.len()) + open_len;
        let body_all = &self.src[body_start..];
        // Find `{%[-+]? endraw [-+]?%}`.
        let mut search = 0;
        loop {
            let Some(found) = body_all[search..].find("{%") else {
                return Err(self.error(start, "Missing end of raw directive".to_string()));
            };
            let at = search + found;
            let mut cursor = &body_all[at + 2..];
            let strip_before = cursor.starts_with('-');
            if cursor.starts_with(['-', '+']) {
                cursor = &cursor[1..];
            }
            cursor = cursor.trim_start_matches(is_python_space);
            if let Some(tail) = cursor.strip_prefix("endraw") {
                let tail = tail.trim_start_matches(is_python_space);
                let (close_len, strip_after) = if tail.starts_with("-%}") {
                    (3, true)
                } else if tail.starts_with("+%}") {
                    (3, false)
                } else if tail.starts_with("%}") {
                    (2, false)
                } else {
                    search = at + 2;
                    continue;
                };
                let mut text = &body_all[..at];
                if strip_body_start {
                    text = text.trim_start_matches(is_python_space);
                }
                if strip_before {
                    text = text.trim_end_matches(is_python_space);
                }
                if !text.is_empty() {
                    self.push(Tok::Data(text.to_string()), body_start);
                }
                let consumed = body_all.len() - tail.len() + close_len;
                self.pos = body_start + consumed;
                return Ok(Some(strip_after));
            }
            search = at + 2;
        }
    }

    /// Lexes the inside of `{{ }}` / `{% %}` up to `end`; returns whether the
    /// closing delimiter carried `-`.
    fn tag_body(&mut self, end: &'static str) -> Result<bool, SyntaxError> {
        self.balance.clear();
        loop {
            self.skip_whitespace();
            let rest = self.rest();
            if rest.is_empty() {
                let expected = if end == "}}" {
                    "end of print statement"
                } else {
                    "end of statement block"
                };
                return Err(self.error(
                    self.pos,
                    format!("unexpected end of template, expected '{expected}'."),
                ));
            }
            if self.balance.is_empty() {
                let close = if end == "}}" {
                    Tok::VariableEnd
                } else {
                    Tok::BlockEnd
                };
                if rest.starts_with('-') && rest[1..].starts_with(end) {
                    self.push(close, self.pos);
                    self.pos += 1 + end.len();
                    return Ok(true);
                }
                if rest.starts_with('+') && rest[1..].starts_with(end) && end == "%}" {
                    self.push(close, self.pos);
                    self.pos += 1 + end.len();
                    return Ok(false);
                }
                if rest.starts_with(end) {
                    self.push(close, self.pos);
                    self.pos += end.len();
                    return Ok(false);
                }
            }
            self.token()?;
        }
    }

    fn token(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let rest = self.rest();
        let first = rest.chars().next().unwrap_or(' ');
        let after_dot = self.src[..start].ends_with('.');
        if first.is_ascii_digit() {
            if let Some((tok, len)) = lex_number(rest, after_dot) {
                self.push(tok, start);
                self.pos += len;
                return Ok(());
            }
            return Err(self.error(start, format!("unexpected char {first:?} at {start}")));
        }
        if first.is_alphabetic() || first == '_' {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
                .map_or(rest.len(), |(i, _)| i);
            self.push(Tok::Name(rest[..len].to_string()), start);
            self.pos += len;
            return Ok(());
        }
        if first == '"' || first == '\'' {
            let (text, len) = lex_string(rest, first).ok_or_else(|| {
                self.error(start, format!("unexpected char {first:?} at {start}"))
            })?;
            self.push(Tok::Str(text), start);
            self.pos += len;
            return Ok(());
        }
        for op in OPERATORS {
            if rest.starts_with(op) {
                match op {
                    "(" | "[" | "{" => self.balance.push(op.chars().next().unwrap_or('(')),
                    ")" | "]" | "}" => {
                        let expected = match op {
                            ")" => '(',
                            "]" => '[',
                            _ => '{',
                        };
                        match self.balance.pop() {
                            None => {
                                return Err(self.error(start, format!("unexpected '{op}'")));
                            }
                            Some(open) if open != expected => {
                                let wanted = match open {
                                    '(' => ')',
                                    '[' => ']',
                                    _ => '}',
                                };
                                return Err(self.error(
                                    start,
                                    format!("unexpected '{op}', expected '{wanted}'"),
                                ));
                            }
                            Some(_) => {}
                        }
                    }
                    _ => {}
                }
                self.push(Tok::Op(op), start);
                self.pos += op.len();
                return Ok(());
            }
        }
        Err(self.error(start, format!("unexpected char {first:?} at {start}")))
    }
}

/// `lstrip_blocks` for the text `data` (a slice of `src`) before a block
/// tag: the spaces and tabs between the last line start and the tag go,
/// when nothing else is on that line. At the start of the text, a line
/// start is the start of the template or a preceding newline.
fn lstrip_block<'s>(src: &str, data: &'s str) -> &'s str {
    let line_start = data.rfind('\n').map_or(0, |i| i + 1);
    let offset = data.as_ptr() as usize - src.as_ptr() as usize;
    let at_line_start = line_start > 0 || offset == 0 || src[..offset].ends_with('\n');
    let tail = &data[line_start..];
    if at_line_start && !tail.is_empty() && tail.chars().all(is_python_space) {
        &data[..line_start]
    } else {
        data
    }
}

/// Position of the next `{{`, `{%` or `{#`.
fn find_tag_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find('{') {
        let at = from + offset;
        if matches!(bytes.get(at + 1), Some(b'{' | b'%' | b'#')) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn digits_with_underscores(text: &str, radix: u32) -> usize {
    // `(\d+_)*\d+`: underscores only between digits.
    let bytes = text.as_bytes();
    let mut len = 0;
    while len < bytes.len() {
        let c = bytes[len] as char;
        let separator = c == '_'
            && len > 0
            && bytes
                .get(len + 1)
                .is_some_and(|n| (*n as char).is_digit(radix));
        if !(c.is_digit(radix) || separator) {
            break;
        }
        len += 1;
    }
    len
}

fn lex_number(text: &str, after_dot: bool) -> Option<(Tok, usize)> {
    let int_len = digits_with_underscores(text, 10);
    if !after_dot {
        // float: digits ( '.' digits )? ( e[+-]? digits )?, at least one of the two parts.
        let mut len = int_len;
        let mut is_float = false;
        if text[len..].starts_with('.') {
            let frac = digits_with_underscores(&text[len + 1..], 10);
            if frac > 0 {
                len += 1 + frac;
                is_float = true;
            }
        }
        let rest = &text[len..];
        if rest.starts_with(['e', 'E']) {
            let mut exp_start = 1;
            if rest[1..].starts_with(['+', '-']) {
                exp_start = 2;
            }
            let exp_digits = digits_with_underscores(&rest[exp_start..], 10);
            if exp_digits > 0 {
                len += exp_start + exp_digits;
                is_float = true;
            }
        }
        if is_float {
            let cleaned: String = text[..len].chars().filter(|&c| c != '_').collect();
            return cleaned.parse::<f64>().ok().map(|f| (Tok::Float(f), len));
        }
    }
    let lower = text.get(..2).map(str::to_ascii_lowercase);
    let radix = match lower.as_deref() {
        Some("0b") => 2,
        Some("0o") => 8,
        Some("0x") => 16,
        _ => 10,
    };
    if radix != 10 {
        let body = &text[2..];
        let body = body.strip_prefix('_').unwrap_or(body);
        let skipped = text.len() - body.len();
        let len = digits_with_underscores(body, radix);
        if len == 0 {
            return None;
        }
        let cleaned: String = body[..len].chars().filter(|&c| c != '_').collect();
        return i64::from_str_radix(&cleaned, radix)
            .ok()
            .map(|n| (Tok::Int(n), skipped + len));
    }
    let cleaned: String = text[..int_len].chars().filter(|&c| c != '_').collect();
    match cleaned.parse::<i64>() {
        Ok(n) => Some((Tok::Int(n), int_len)),
        // Python ints are unbounded; a literal this large only ever appears in
        // arithmetic, where a float keeps the magnitude.
        Err(_) => cleaned
            .parse::<f64>()
            .ok()
            .map(|f| (Tok::Float(f), int_len)),
    }
}

/// Lexes a quoted string and decodes Python's escapes; returns the text and the byte length.
fn lex_string(text: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, i + 1));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, esc) = chars.next()?;
        match esc {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut value = esc.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&(_, d)) if d.is_digit(8) => {
                            value = value * 8 + d.to_digit(8).unwrap_or(0);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            'x' | 'u' | 'U' => {
                let width = match esc {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut value = 0u32;
                for _ in 0..width {
                    let (_, d) = chars.next()?;
                    value = value * 16 + d.to_digit(16)?;
                }
                out.push(char::from_u32(value)?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(&normalize_source(src))
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn whitespace_control_and_trailing_newline() {
        assert_eq!(
            toks("a \n{%- if x -%}\n b\n"),
            vec![
                Tok::Data("a".into()),
                Tok::BlockBegin,
                Tok::Name("if".into()),
                Tok::Name("x".into()),
                Tok::BlockEnd,
                Tok::Data("b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers_and_attribute_indexes() {
        assert_eq!(
            toks("{{ a.0.1 + 1_000 + 1e3 + 2.5 }}"),
            vec![
                Tok::VariableBegin,
                Tok::Name("a".into()),
                Tok::Op("."),
                Tok::Int(0),
                Tok::Op("."),
                Tok::Int(1),
                Tok::Op("+"),
                Tok::Int(1000),
                Tok::Op("+"),
                Tok::Float(1000.0),
                Tok::Op("+"),
                Tok::Float(2.5),
                Tok::VariableEnd,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn string_escapes_follow_python() {
        assert_eq!(
            toks(r#"{{ "a\qb\x41\u00e9\101" }}"#)[1],
            Tok::Str("a\\qbAéA".into())
        );
    }

    #[test]
    fn braces_inside_expression_do_not_close_it() {
        assert_eq!(toks("{{ {'a': {'b': 1}} }}").len(), 12);
    }

    #[test]
    fn raw_blocks_keep_text() {
        assert_eq!(
            toks("{% raw %}{{ x }}{% endraw %}"),
            vec![Tok::Data("{{ x }}".into()), Tok::Eof]
        );
    }
}
