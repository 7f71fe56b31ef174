//! JSON as Python's `json.loads` reads it, for the lines serde_json refuses
//! or cannot read exactly: `NaN`, `Infinity` and `-Infinity` are floats, a
//! number too large for a float is `inf` (`1e999`), and an integer of any
//! size stays an integer (`datasets` users see Python's `int`).

use std::fmt;

use indexmap::IndexMap;

/// Python's `int` refuses to convert more digits than this from text
/// (`sys.get_int_max_str_digits()`, 3.11 and later), so `json.loads` does.
const MAX_INT_DIGITS: usize = 4300;

/// Nesting deeper than this is refused, as serde_json refuses it, before it
/// could exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A JSON value with Python's numbers.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PythonJson {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside `i64`, as its decimal digits (with a leading `-`).
    BigInt(Box<str>),
    Float(f64),
    Str(String),
    Array(Vec<PythonJson>),
    /// Keys in order of first appearance; a repeated key keeps the last value.
    Object(IndexMap<String, PythonJson>),
}

/// Where and why a line is not JSON, even to Python.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    /// 1-based column (in characters) of the offending character.
    pub(super) column: usize,
    pub(super) message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

/// Whether serde_json could misread `text`: a run of 19 or more digits may
/// be an integer outside `i64`, which serde_json turns into a float, and
/// serde_json reads the integer `-0` as the float `-0.0` (Python: `0`). Any
/// such bytes count (in a string, in a fraction): those lines are merely
/// read the slower, exact way.
pub(super) fn serde_may_misread(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut run = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte.is_ascii_digit() {
            run += 1;
            if run >= 19 {
                return true;
            }
        } else {
            run = 0;
            if byte == b'-'
                && bytes.get(index + 1) == Some(&b'0')
                && !matches!(bytes.get(index + 2), Some(b'0'..=b'9' | b'.' | b'e' | b'E'))
            {
                return true;
            }
        }
    }
    false
}

/// Parses one complete JSON text as `json.loads` does.
pub(super) fn parse(text: &str) -> Result<PythonJson, SyntaxError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        position: 0,
        depth: 0,
    };
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.position < parser.bytes.len() {
        return Err(parser.error("extra data after the value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            column: self.text[..self.position].chars().count() + 1,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    /// Python's `json` skips exactly these four.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<PythonJson, SyntaxError> {
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => Ok(PythonJson::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("null") => Ok(PythonJson::Null),
            _ if self.eat("true") => Ok(PythonJson::Bool(true)),
            _ if self.eat("false") => Ok(PythonJson::Bool(false)),
            _ if self.eat("NaN") => Ok(PythonJson::Float(f64::NAN)),
            _ if self.eat("Infinity") => Ok(PythonJson::Float(f64::INFINITY)),
            _ => Err(self.error("expected a value")),
        }
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<PythonJson, SyntaxError>,
    ) -> Result<PythonJson, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<PythonJson, SyntaxError> {
        self.position += 1;
        let mut object = IndexMap::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.position += 1;
            return Ok(PythonJson::Object(object));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key in double quotes"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after a key"));
            }
            self.position += 1;
            self.skip_whitespace();
            let value = self.value()?;
            object.insert(key, value);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(b'}') => {
                    self.position += 1;
                    return Ok(PythonJson::Object(object));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self) -> Result<PythonJson, SyntaxError> {
        self.position += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.position += 1;
            return Ok(PythonJson::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(b']') => {
                    self.position += 1;
                    return Ok(PythonJson::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.position += 1;
        let mut text = String::new();
        loop {
            let start = self.position;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            // The stops are ASCII, so both ends are character boundaries.
            text.push_str(&self.text[start..self.position]);
            match self.peek() {
                Some(b'"') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.position += 1;
                    text.push(self.escape()?);
                }
                Some(_) => return Err(self.error("a control character in a string")),
                None => return Err(self.error("a string is never closed")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        let escaped = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.position += 1;
                let unit = self.hex4()?;
                return self.code_point(unit);
            }
            _ => return Err(self.error("an invalid escape")),
        };
        self.position += 1;
        Ok(escaped)
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .bytes
            .get(self.position..self.position + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("an invalid \\u escape"))?;
        let unit =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("an invalid \\u escape"))?;
        self.position += 4;
        Ok(unit)
    }

    /// A `\u` escape, joining a surrogate pair. Python keeps a lone
    /// surrogate in its string; Rust text cannot hold one.
    fn code_point(&mut self, unit: u32) -> Result<char, SyntaxError> {
        let lone = |parser: &Self| parser.error("a lone surrogate in a \\u escape");
        if (0xDC00..0xE000).contains(&unit) {
            return Err(lone(self));
        }
        if (0xD800..0xDC00).contains(&unit) {
            if !self.eat("\\u") {
                return Err(lone(self));
            }
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(lone(self));
            }
            let joined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            return char::from_u32(joined).ok_or_else(|| lone(self));
        }
        char::from_u32(unit).ok_or_else(|| lone(self))
    }

    /// Python's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`,
    /// and `-Infinity`.
    fn number(&mut self) -> Result<PythonJson, SyntaxError> {
        let start = self.position;
        if self.peek() == Some(b'-') {
            self.position += 1;
            if self.eat("Infinity") {
                return Ok(PythonJson::Float(f64::NEG_INFINITY));
            }
        }
        match self.peek() {
            Some(b'0') => self.position += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a value")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.')
            && matches!(self.bytes.get(self.position + 1), Some(b'0'..=b'9'))
        {
            integer = false;
            self.position += 1;
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.position;
            self.position += 1;
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.position += 1;
            }
            if matches!(self.peek(), Some(b'0'..=b'9')) {
                integer = false;
                self.digits();
            } else {
                // As Python's pattern: the `e` is not part of the number,
                // and what follows is then extra data.
                self.position = mark;
            }
        }
        let literal = &self.text[start..self.position];
        if !integer {
            // Rust rounds correctly, as Python's `float()` does, and a
            // value past the largest float is infinite.
            let value = literal
                .parse::<f64>()
                .map_err(|_| self.error("an invalid number"))?;
            return Ok(PythonJson::Float(value));
        }
        if let Ok(value) = literal.parse::<i64>() {
            return Ok(PythonJson::Int(value));
        }
        let digits = literal.trim_start_matches('-').len();
        if digits > MAX_INT_DIGITS {
            return Err(SyntaxError {
                column: self.text[..start].chars().count() + 1,
                message: format!(
                    "an integer of {digits} digits (Python converts at most {MAX_INT_DIGITS})"
                ),
            });
        }
        Ok(PythonJson::BigInt(literal.into()))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.position += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> IndexMap<String, PythonJson> {
        match parse(text) {
            Ok(PythonJson::Object(object)) => object,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn python_constants_are_floats_but_not_inside_strings() {
        let object = object(r#"{"a": NaN, "b": -Infinity, "c": "NaN", "d": 1e999}"#);
        assert!(matches!(object["a"], PythonJson::Float(value) if value.is_nan()));
        assert_eq!(object["b"], PythonJson::Float(f64::NEG_INFINITY));
        assert_eq!(object["c"], PythonJson::Str("NaN".into()));
        assert_eq!(object["d"], PythonJson::Float(f64::INFINITY));
    }

    #[test]
    fn integers_keep_every_digit() {
        let object = object(r#"{"a": -123456789012345678901, "b": 9223372036854775807}"#);
        assert_eq!(
            object["a"],
            PythonJson::BigInt("-123456789012345678901".into())
        );
        assert_eq!(object["b"], PythonJson::Int(i64::MAX));
    }

    #[test]
    fn what_python_refuses_is_refused() {
        for text in [
            "{\"a\": nan}",
            "{\"a\": +1}",
            "{\"a\": -NaN}",
            "{\"a\": 01}",
            "{\"a\": Infinityx}",
            "{\"a\": 1.}",
            "{\"a\": \"\\ud800\"}",
            "{\"a\": 1,}",
        ] {
            assert!(parse(text).is_err(), "{text} parsed");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            parse(&deep).expect_err("too deep").message,
            "nested too deeply"
        );
        let error = parse("{\"a\": nan}").expect_err("not JSON");
        assert_eq!(error.to_string(), "expected a value at column 7");
    }

    #[test]
    fn escapes_and_repeated_keys_follow_python() {
        let object = object(r#"{"k": 1, "s": "\ud83d\ude00\n\u00e9", "k": 2}"#);
        assert_eq!(
            object.get_index(0),
            Some((&"k".to_string(), &PythonJson::Int(2)))
        );
        assert_eq!(object["s"], PythonJson::Str("😀\né".into()));
    }

    #[test]
    fn every_cut_and_changed_byte_of_a_line_is_a_value_or_an_error() {
        let line = r#"{"é": [NaN, -Infinity, 1e999, 123456789012345678901], "s": "\u00e9\ud83d\ude00 ü", "n": {"x": -0.5e-3, "t": true, "f": null}}"#;
        assert!(parse(line).is_ok());
        for cut in (0..=line.len()).filter(|&cut| line.is_char_boundary(cut)) {
            let _ = parse(&line[..cut]);
        }
        let bytes = line.as_bytes();
        for position in 0..bytes.len() {
            for replacement in [b'"', b'\\', b'-', b'e', b'[', b'}', b'9', b'N', b'u', 0xC3] {
                let mut changed = bytes.to_vec();
                changed[position] = replacement;
                if let Ok(text) = std::str::from_utf8(&changed) {
                    let _ = parse(text);
                }
            }
        }
    }
}
