//! Python `str` methods on `&str`, with CPython 3.11's semantics: positions
//! and lengths count code points, whitespace and letter classes are Python's
//! (from the generated `unicode_data` tables, Unicode 14.0 as in 3.11), and
//! case mappings are the full ones (`'ß'.upper() == 'SS'`) with the
//! final-sigma rule of `lower()`.
//!
//! Start and end arguments follow CPython's slice adjustment: negative values
//! count from the end, values past the end are clamped, and a start past the
//! end makes searches fail (rather than clamping).

use super::unicode_data as data;
use super::{PyError, MAX_RESULT_BYTES};

// ---------------------------------------------------------------------------
// Character classes.

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    table
        .binary_search_by(|&(start, end)| {
            if end < cp {
                std::cmp::Ordering::Less
            } else if start > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn mapping(table: &'static [(u32, &'static str)], c: char) -> Option<&'static str> {
    let cp = u32::from(c);
    table
        .binary_search_by_key(&cp, |&(key, _)| key)
        .ok()
        .map(|index| table[index].1)
}

/// Python's notion of whitespace (`str.isspace()` of one character), which
/// includes the ASCII separators `\x1c`..`\x1f` and, e.g., U+00A0.
pub fn is_python_space(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ');
    }
    in_ranges(data::SPACE, c)
}

/// `str.isprintable()` of one character: what `repr()` shows unescaped.
pub fn is_python_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    in_ranges(data::PRINTABLE, c)
}

/// Value of a character with a Unicode decimal digit value (`'7'`, `'٧'`):
/// what `int()` and `float()` accept as a digit.
pub fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(u32::from(c) - u32::from('0'));
    }
    let cp = u32::from(c);
    let index = data::DECIMAL_RUNS
        .binary_search_by(|&(start, end, _)| {
            if end < cp {
                std::cmp::Ordering::Less
            } else if start > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .ok()?;
    let (start, _, first_value) = data::DECIMAL_RUNS[index];
    Some(u32::from(first_value) + (cp - start))
}

fn is_alpha_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    in_ranges(data::ALPHA, c)
}

fn is_decimal_char(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && in_ranges(data::DECIMAL, c))
}

fn is_digit_char(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && in_ranges(data::DIGIT, c))
}

fn is_numeric_char(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && in_ranges(data::NUMERIC, c))
}

fn is_lower_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    in_ranges(data::LOWERCASE, c)
}

fn is_upper_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    in_ranges(data::UPPERCASE, c)
}

fn is_titlecase_char(c: char) -> bool {
    !c.is_ascii() && in_ranges(data::TITLECASE, c)
}

fn is_cased_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    in_ranges(data::CASED, c)
}

fn is_case_ignorable_char(c: char) -> bool {
    in_ranges(data::CASE_IGNORABLE, c)
}

// ---------------------------------------------------------------------------
// Code point positions.

fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Byte offset of code point `position` (the end of the string past the last).
fn byte_offset(s: &str, position: usize) -> usize {
    if s.is_ascii() {
        return position.min(s.len());
    }
    s.char_indices()
        .nth(position)
        .map_or(s.len(), |(offset, _)| offset)
}

fn char_position(s: &str, byte: usize) -> usize {
    if s.is_ascii() {
        byte
    } else {
        s[..byte].chars().count()
    }
}

/// CPython's `ADJUST_INDICES`: both bounds as code point positions; the
/// end is clamped to the length, the start is not clamped above it.
fn adjust_bounds(len: usize, start: Option<i64>, end: Option<i64>) -> (i64, i64) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let mut end = end.unwrap_or(len);
    if end > len {
        end = len;
    } else if end < 0 {
        end = (end + len).max(0);
    }
    let mut start = start.unwrap_or(0);
    if start < 0 {
        start = (start + len).max(0);
    }
    (start, end)
}

/// The part of `s` between the adjusted bounds, with its start position, or
/// `None` when the window cannot hold `needed` code points.
fn window(s: &str, start: Option<i64>, end: Option<i64>, needed: usize) -> Option<(&str, usize)> {
    let (start, end) = adjust_bounds(char_len(s), start, end);
    let needed = i64::try_from(needed).unwrap_or(i64::MAX);
    if end - start < needed {
        return None;
    }
    // Both bounds are within 0..=len here, so they fit in usize.
    let (start, end) = (start as usize, end as usize);
    let from = byte_offset(s, start);
    let to = from + byte_offset(&s[from..], end - start);
    Some((&s[from..to], start))
}

// ---------------------------------------------------------------------------
// Searching.

/// `s.find(sub, start, end)`: the code point index, or -1.
pub fn find(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> i64 {
    let Some((part, offset)) = window(s, start, end, char_len(sub)) else {
        return -1;
    };
    part.find(sub)
        .map_or(-1, |byte| (offset + char_position(part, byte)) as i64)
}

/// `s.rfind(sub, start, end)`: the code point index, or -1.
pub fn rfind(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> i64 {
    let Some((part, offset)) = window(s, start, end, char_len(sub)) else {
        return -1;
    };
    part.rfind(sub)
        .map_or(-1, |byte| (offset + char_position(part, byte)) as i64)
}

/// `s.index(sub, start, end)`: like `find`, but a miss is a `ValueError`.
pub fn index(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> Result<usize, PyError> {
    usize::try_from(find(s, sub, start, end))
        .map_err(|_| PyError::value_error("substring not found"))
}

/// `s.rindex(sub, start, end)`: like `rfind`, but a miss is a `ValueError`.
pub fn rindex(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> Result<usize, PyError> {
    usize::try_from(rfind(s, sub, start, end))
        .map_err(|_| PyError::value_error("substring not found"))
}

/// `s.count(sub, start, end)`: non-overlapping occurrences; an empty `sub`
/// matches between every two code points and at both ends.
pub fn count(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> usize {
    let Some((part, _)) = window(s, start, end, char_len(sub)) else {
        return 0;
    };
    if sub.is_empty() {
        char_len(part) + 1
    } else {
        part.matches(sub).count()
    }
}

/// `s.startswith(prefix, start, end)` for one prefix (a tuple of prefixes is
/// any of them).
pub fn startswith(s: &str, prefix: &str, start: Option<i64>, end: Option<i64>) -> bool {
    window(s, start, end, char_len(prefix)).is_some_and(|(part, _)| part.starts_with(prefix))
}

/// `s.endswith(suffix, start, end)` for one suffix.
pub fn endswith(s: &str, suffix: &str, start: Option<i64>, end: Option<i64>) -> bool {
    window(s, start, end, char_len(suffix)).is_some_and(|(part, _)| part.ends_with(suffix))
}

// ---------------------------------------------------------------------------
// Splitting and joining.

fn empty_separator() -> PyError {
    PyError::value_error("empty separator")
}

/// A negative `maxsplit` means no limit, as in Python.
fn split_limit(maxsplit: i64) -> usize {
    usize::try_from(maxsplit).unwrap_or(usize::MAX)
}

/// `s.split(sep, maxsplit)`. With `sep = None`, runs of Python whitespace
/// separate and leading/trailing whitespace yields no empty parts.
pub fn split<'a>(s: &'a str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<&'a str>, PyError> {
    match sep {
        None => Ok(split_whitespace(s, split_limit(maxsplit))),
        Some("") => Err(empty_separator()),
        Some(sep) => {
            let limit = split_limit(maxsplit);
            Ok(if limit == usize::MAX {
                s.split(sep).collect()
            } else {
                s.splitn(limit.saturating_add(1), sep).collect()
            })
        }
    }
}

/// `s.rsplit(sep, maxsplit)`: like `split`, but the splits happen from the end.
pub fn rsplit<'a>(s: &'a str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<&'a str>, PyError> {
    let mut parts = match sep {
        None => rsplit_whitespace(s, split_limit(maxsplit)),
        Some("") => return Err(empty_separator()),
        Some(sep) => {
            let limit = split_limit(maxsplit);
            if limit == usize::MAX {
                s.rsplit(sep).collect()
            } else {
                s.rsplitn(limit.saturating_add(1), sep).collect()
            }
        }
    };
    parts.reverse();
    Ok(parts)
}

fn split_whitespace(s: &str, mut splits_left: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = s;
    while splits_left > 0 {
        rest = rest.trim_start_matches(is_python_space);
        if rest.is_empty() {
            return parts;
        }
        let word_end = rest.find(is_python_space).unwrap_or(rest.len());
        parts.push(&rest[..word_end]);
        rest = &rest[word_end..];
        splits_left -= 1;
    }
    // The limit was reached: what follows the whitespace is the last part,
    // trailing whitespace included.
    let rest = rest.trim_start_matches(is_python_space);
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

/// Parts from the last to the first.
fn rsplit_whitespace(s: &str, mut splits_left: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = s;
    while splits_left > 0 {
        rest = rest.trim_end_matches(is_python_space);
        if rest.is_empty() {
            return parts;
        }
        let word_start = rest.rfind(is_python_space).map_or(0, |at| {
            at + rest[at..].chars().next().map_or(1, char::len_utf8)
        });
        parts.push(&rest[word_start..]);
        rest = &rest[..word_start];
        splits_left -= 1;
    }
    let rest = rest.trim_end_matches(is_python_space);
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

/// `s.partition(sep)`: before, separator, after; `(s, "", "")` when absent.
pub fn partition<'a>(s: &'a str, sep: &str) -> Result<(&'a str, &'a str, &'a str), PyError> {
    if sep.is_empty() {
        return Err(empty_separator());
    }
    Ok(match s.find(sep) {
        Some(at) => (&s[..at], &s[at..at + sep.len()], &s[at + sep.len()..]),
        None => (s, "", ""),
    })
}

/// `s.rpartition(sep)`: split at the last occurrence; `("", "", s)` when absent.
pub fn rpartition<'a>(s: &'a str, sep: &str) -> Result<(&'a str, &'a str, &'a str), PyError> {
    if sep.is_empty() {
        return Err(empty_separator());
    }
    Ok(match s.rfind(sep) {
        Some(at) => (&s[..at], &s[at..at + sep.len()], &s[at + sep.len()..]),
        None => ("", "", s),
    })
}

/// Python's line boundaries: more than `\n` and `\r`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `s.splitlines(keepends)`: `\r\n` is one boundary, and a final boundary
/// does not start an empty line.
pub fn splitlines(s: &str, keepends: bool) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let Some(break_at) = rest.find(is_line_break) else {
            lines.push(rest);
            break;
        };
        let break_len = if rest[break_at..].starts_with("\r\n") {
            2
        } else {
            rest[break_at..].chars().next().map_or(1, char::len_utf8)
        };
        let line_end = if keepends {
            break_at + break_len
        } else {
            break_at
        };
        lines.push(&rest[..line_end]);
        rest = &rest[break_at + break_len..];
    }
    lines
}

// ---------------------------------------------------------------------------
// Stripping, replacing, padding.

/// `s.strip(chars)`: with `None`, Python whitespace.
pub fn strip<'a>(s: &'a str, chars: Option<&str>) -> &'a str {
    rstrip(lstrip(s, chars), chars)
}

/// `s.lstrip(chars)`.
pub fn lstrip<'a>(s: &'a str, chars: Option<&str>) -> &'a str {
    match chars {
        None => s.trim_start_matches(is_python_space),
        Some(set) => s.trim_start_matches(|c: char| set.contains(c)),
    }
}

/// `s.rstrip(chars)`.
pub fn rstrip<'a>(s: &'a str, chars: Option<&str>) -> &'a str {
    match chars {
        None => s.trim_end_matches(is_python_space),
        Some(set) => s.trim_end_matches(|c: char| set.contains(c)),
    }
}

/// `s.replace(old, new, count)`; a negative `count` replaces all. An empty
/// `old` inserts `new` before every code point and at the end.
pub fn replace(s: &str, old: &str, new: &str, count: i64) -> Result<String, PyError> {
    let limit = split_limit(count);
    if new.len() > old.len() {
        let replacements = if old.is_empty() {
            char_len(s).saturating_add(1).min(limit)
        } else {
            s.matches(old).take(limit).count()
        };
        let growth = replacements.saturating_mul(new.len() - old.len());
        check_size(s.len().saturating_add(growth))?;
    }
    if !old.is_empty() {
        return Ok(if limit == usize::MAX {
            s.replace(old, new)
        } else {
            s.replacen(old, new, limit)
        });
    }
    let mut out = String::with_capacity(s.len());
    let mut inserted = 0usize;
    for c in s.chars() {
        if inserted < limit {
            out.push_str(new);
            inserted += 1;
        }
        out.push(c);
    }
    if inserted < limit {
        out.push_str(new);
    }
    Ok(out)
}

fn check_size(bytes: usize) -> Result<(), PyError> {
    if bytes > MAX_RESULT_BYTES {
        Err(PyError::memory_error())
    } else {
        Ok(())
    }
}

fn fill(out: &mut String, fillchar: char, count: usize) {
    out.extend(std::iter::repeat_n(fillchar, count));
}

fn padding(s: &str, width: i64) -> usize {
    usize::try_from(width)
        .unwrap_or(0)
        .saturating_sub(char_len(s))
}

fn pad(s: &str, left: usize, right: usize, fillchar: char) -> Result<String, PyError> {
    let fill_bytes = left
        .saturating_add(right)
        .saturating_mul(fillchar.len_utf8());
    check_size(s.len().saturating_add(fill_bytes))?;
    let mut out = String::with_capacity(s.len() + fill_bytes);
    fill(&mut out, fillchar, left);
    out.push_str(s);
    fill(&mut out, fillchar, right);
    Ok(out)
}

/// `s.center(width, fillchar)`; CPython puts the odd extra fill on the left
/// only when both the margin and the width are odd.
pub fn center(s: &str, width: i64, fillchar: char) -> Result<String, PyError> {
    let margin = padding(s, width);
    let width_is_odd = width & 1 == 1;
    let left = margin / 2 + usize::from(margin & 1 == 1 && width_is_odd);
    pad(s, left, margin - left, fillchar)
}

/// `s.ljust(width, fillchar)`.
pub fn ljust(s: &str, width: i64, fillchar: char) -> Result<String, PyError> {
    pad(s, 0, padding(s, width), fillchar)
}

/// `s.rjust(width, fillchar)`.
pub fn rjust(s: &str, width: i64, fillchar: char) -> Result<String, PyError> {
    pad(s, padding(s, width), 0, fillchar)
}

/// `s.zfill(width)`: zeros go after a leading sign.
pub fn zfill(s: &str, width: i64) -> Result<String, PyError> {
    let zeros = padding(s, width);
    check_size(s.len().saturating_add(zeros))?;
    let (sign, digits) = match s.chars().next() {
        Some(sign @ ('+' | '-')) if zeros > 0 => (Some(sign), &s[1..]),
        _ => (None, s),
    };
    let mut out = String::with_capacity(s.len() + zeros);
    out.extend(sign);
    fill(&mut out, '0', zeros);
    out.push_str(digits);
    Ok(out)
}

/// `s.expandtabs(tabsize)`: the column restarts after `\n` and `\r`; a
/// non-positive tab size removes tabs.
pub fn expandtabs(s: &str, tabsize: i64) -> Result<String, PyError> {
    let tabsize = usize::try_from(tabsize).unwrap_or(0);
    let tabs = s.bytes().filter(|&byte| byte == b'\t').count();
    check_size(s.len().saturating_add(tabs.saturating_mul(tabsize)))?;
    let mut out = String::with_capacity(s.len());
    let mut column = 0usize;
    for c in s.chars() {
        match c {
            '\t' => {
                if tabsize > 0 {
                    let spaces = tabsize - column % tabsize;
                    fill(&mut out, ' ', spaces);
                    column += spaces;
                }
            }
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Predicates. Like Python, all are false for the empty string.

fn all_chars(s: &str, predicate: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(predicate)
}

/// `s.isdigit()`: decimal digits plus digits such as `'²'`.
pub fn isdigit(s: &str) -> bool {
    all_chars(s, is_digit_char)
}

/// `s.isdecimal()`: characters usable in a base-10 number.
pub fn isdecimal(s: &str) -> bool {
    all_chars(s, is_decimal_char)
}

/// `s.isnumeric()`: digits plus numeric characters such as `'½'` or `'五'`.
pub fn isnumeric(s: &str) -> bool {
    all_chars(s, is_numeric_char)
}

/// `s.isalpha()`: letters (categories Lm, Lt, Lu, Ll, Lo) only.
pub fn isalpha(s: &str) -> bool {
    all_chars(s, is_alpha_char)
}

/// `s.isalnum()`: each character is a letter or numeric.
pub fn isalnum(s: &str) -> bool {
    all_chars(s, |c| {
        is_alpha_char(c) || is_decimal_char(c) || is_digit_char(c) || is_numeric_char(c)
    })
}

/// `s.isspace()`.
pub fn isspace(s: &str) -> bool {
    all_chars(s, is_python_space)
}

/// `s.isprintable()`: unlike the others, true for the empty string.
pub fn isprintable(s: &str) -> bool {
    s.chars().all(is_python_printable)
}

/// `s.isupper()`: at least one cased character, none lowercase or titlecase.
pub fn isupper(s: &str) -> bool {
    let mut seen_cased = false;
    for c in s.chars() {
        if is_lower_char(c) || is_titlecase_char(c) {
            return false;
        }
        seen_cased |= is_upper_char(c);
    }
    seen_cased
}

/// `s.islower()`: at least one cased character, none uppercase or titlecase.
pub fn islower(s: &str) -> bool {
    let mut seen_cased = false;
    for c in s.chars() {
        if is_upper_char(c) || is_titlecase_char(c) {
            return false;
        }
        seen_cased |= is_lower_char(c);
    }
    seen_cased
}

/// `s.istitle()`: uppercase or titlecase characters only start words,
/// lowercase ones only continue them, and there is at least one.
pub fn istitle(s: &str) -> bool {
    let mut seen_cased = false;
    let mut previous_is_cased = false;
    for c in s.chars() {
        if is_upper_char(c) || is_titlecase_char(c) {
            if previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            seen_cased = true;
        } else if is_lower_char(c) {
            if !previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            seen_cased = true;
        } else {
            previous_is_cased = false;
        }
    }
    seen_cased
}

// ---------------------------------------------------------------------------
// Case mappings.

fn push_upper(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_uppercase());
    } else {
        match mapping(data::TO_UPPER, c) {
            Some(mapped) => out.push_str(mapped),
            None => out.push(c),
        }
    }
}

fn push_title(out: &mut String, c: char) {
    match mapping(data::TO_TITLE_EXCEPTIONS, c) {
        Some(mapped) => out.push_str(mapped),
        None => push_upper(out, c),
    }
}

const CAPITAL_SIGMA: char = '\u{3a3}';

/// CPython's `lower_ucs4`: the lower case of the code point at `position`
/// of `chars`, applying the final-sigma rule to a capital sigma: it becomes
/// `ς` after a cased letter (skipping case-ignorable characters) unless a
/// cased letter follows (skipping them too).
fn push_lower_in_context(out: &mut String, chars: &[char], position: usize) {
    let c = chars[position];
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if c == CAPITAL_SIGMA {
        out.push(if is_final_sigma(chars, position) {
            '\u{3c2}'
        } else {
            '\u{3c3}'
        });
        return;
    }
    match mapping(data::TO_LOWER, c) {
        Some(mapped) => out.push_str(mapped),
        None => out.push(c),
    }
}

fn is_final_sigma(chars: &[char], position: usize) -> bool {
    let cased_before = chars[..position]
        .iter()
        .rev()
        .find(|&&c| !is_case_ignorable_char(c))
        .is_some_and(|&c| is_cased_char(c));
    let cased_after = chars[position + 1..]
        .iter()
        .find(|&&c| !is_case_ignorable_char(c))
        .is_some_and(|&c| is_cased_char(c));
    cased_before && !cased_after
}

/// `s.lower()`.
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for position in 0..chars.len() {
        push_lower_in_context(&mut out, &chars, position);
    }
    out
}

/// `s.upper()`.
pub fn upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_upper(&mut out, c);
    }
    out
}

/// `s.casefold()`: lower case plus the folds of characters like `'ß'`.
pub fn casefold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match mapping(data::CASEFOLD_EXCEPTIONS, c).or_else(|| mapping(data::TO_LOWER, c)) {
            Some(mapped) => out.push_str(mapped),
            None => out.push(c),
        }
    }
    out
}

/// `s.title()`: a character following a cased one is lowered, any other is
/// title-cased; so words restart after digits and apostrophes
/// (`"they're"` becomes `"They'Re"`).
pub fn title(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut previous_is_cased = false;
    for (position, &c) in chars.iter().enumerate() {
        if previous_is_cased {
            push_lower_in_context(&mut out, &chars, position);
        } else {
            push_title(&mut out, c);
        }
        previous_is_cased = is_cased_char(c);
    }
    out
}

/// `s.capitalize()`: since Python 3.8 the first character is title-cased
/// (not upper-cased) and the rest lowered.
pub fn capitalize(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    if let Some(&first) = chars.first() {
        push_title(&mut out, first);
    }
    for position in 1..chars.len() {
        push_lower_in_context(&mut out, &chars, position);
    }
    out
}

/// `s.swapcase()`: uppercase characters are lowered, lowercase ones raised;
/// titlecase ones such as `'ǅ'` stay.
pub fn swapcase(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (position, &c) in chars.iter().enumerate() {
        if is_upper_char(c) {
            push_lower_in_context(&mut out, &chars, position);
        } else if is_lower_char(c) {
            push_upper(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// repr.

/// `repr(s)`: single quotes unless the text has a single quote and no double
/// quote; backslash, the quote, `\t`, `\n`, `\r` escaped; other control
/// characters as `\xNN`; non-ASCII characters kept when Python considers
/// them printable, else `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if is_python_printable(c) => out.push(c),
            _ => push_escape(&mut out, c),
        }
    }
    out.push(quote);
    out
}

/// Python's shortest backslash escape of a code point, as in `repr()` and
/// the `backslashreplace` error handler.
fn push_escape(out: &mut String, c: char) {
    let cp = u32::from(c);
    let escape = if cp <= 0xff {
        format!("\\x{cp:02x}")
    } else if cp <= 0xffff {
        format!("\\u{cp:04x}")
    } else {
        format!("\\U{cp:08x}")
    };
    out.push_str(&escape);
}

/// `ascii(obj)` from `repr(obj)`: every non-ASCII character escaped.
pub fn ascii_escape(repr: &str) -> String {
    let mut out = String::with_capacity(repr.len());
    for c in repr.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            push_escape(&mut out, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::py::fixture::{replay, Case};
    use serde_json::{json, Value};

    fn fillchar(case: &Case, index: usize) -> char {
        case.str(index).chars().next().unwrap_or(' ')
    }

    fn run(case: &Case) -> Option<Result<Value, PyError>> {
        let text = case.str(0);
        let value = match case.function.as_str() {
            "split" => split(text, case.opt_str(1), case.int(2)).map(|parts| json!(parts)),
            "rsplit" => rsplit(text, case.opt_str(1), case.int(2)).map(|parts| json!(parts)),
            "find" => Ok(json!(find(
                text,
                case.str(1),
                case.opt_int(2),
                case.opt_int(3)
            ))),
            "rfind" => Ok(json!(rfind(
                text,
                case.str(1),
                case.opt_int(2),
                case.opt_int(3)
            ))),
            "index" => index(text, case.str(1), case.opt_int(2), case.opt_int(3)).map(|i| json!(i)),
            "rindex" => {
                rindex(text, case.str(1), case.opt_int(2), case.opt_int(3)).map(|i| json!(i))
            }
            "count" => Ok(json!(count(
                text,
                case.str(1),
                case.opt_int(2),
                case.opt_int(3)
            ))),
            "startswith" => Ok(json!(startswith(
                text,
                case.str(1),
                case.opt_int(2),
                case.opt_int(3)
            ))),
            "endswith" => Ok(json!(endswith(
                text,
                case.str(1),
                case.opt_int(2),
                case.opt_int(3)
            ))),
            "strip" => Ok(json!(strip(text, case.opt_str(1)))),
            "lstrip" => Ok(json!(lstrip(text, case.opt_str(1)))),
            "rstrip" => Ok(json!(rstrip(text, case.opt_str(1)))),
            "replace" => replace(text, case.str(1), case.str(2), case.int(3)).map(|r| json!(r)),
            "partition" => partition(text, case.str(1)).map(|(a, b, c)| json!([a, b, c])),
            "rpartition" => rpartition(text, case.str(1)).map(|(a, b, c)| json!([a, b, c])),
            "splitlines" => Ok(json!(splitlines(text, case.bool(1)))),
            "zfill" => zfill(text, case.int(1)).map(|r| json!(r)),
            "center" => center(text, case.int(1), fillchar(case, 2)).map(|r| json!(r)),
            "ljust" => ljust(text, case.int(1), fillchar(case, 2)).map(|r| json!(r)),
            "rjust" => rjust(text, case.int(1), fillchar(case, 2)).map(|r| json!(r)),
            "expandtabs" => expandtabs(text, case.int(1)).map(|r| json!(r)),
            "isdigit" => Ok(json!(isdigit(text))),
            "isdecimal" => Ok(json!(isdecimal(text))),
            "isnumeric" => Ok(json!(isnumeric(text))),
            "isalpha" => Ok(json!(isalpha(text))),
            "isalnum" => Ok(json!(isalnum(text))),
            "isspace" => Ok(json!(isspace(text))),
            "isupper" => Ok(json!(isupper(text))),
            "islower" => Ok(json!(islower(text))),
            "istitle" => Ok(json!(istitle(text))),
            "isprintable" => Ok(json!(isprintable(text))),
            "lower" => Ok(json!(lower(text))),
            "upper" => Ok(json!(upper(text))),
            "title" => Ok(json!(title(text))),
            "capitalize" => Ok(json!(capitalize(text))),
            "swapcase" => Ok(json!(swapcase(text))),
            "casefold" => Ok(json!(casefold(text))),
            "repr" => Ok(json!(str_repr(text))),
            "ascii" => Ok(json!(ascii_escape(&str_repr(text)))),
            _ => return None,
        };
        Some(value)
    }

    #[test]
    fn every_recorded_call_matches_cpython() {
        replay(
            include_str!("../../../tests/fixtures/py/strings.jsonl"),
            run,
        );
    }

    #[test]
    fn documented_examples() {
        assert_eq!(title("they're bill's"), "They'Re Bill'S");
        assert_eq!(upper("ß"), "SS");
        assert_eq!(lower("ΟΔΟΣ"), "οδος");
        assert_eq!(capitalize("ǆemal"), "ǅemal");
        assert_eq!(split("a  b", None, -1), Ok(vec!["a", "b"]));
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(find("日本語", "語", None, None), 2);
    }

    #[test]
    fn oversized_results_are_memory_errors() {
        let memory_error = Err(PyError::memory_error());
        assert_eq!(center("x", i64::MAX, ' '), memory_error);
        assert_eq!(zfill("1", 1 << 40), memory_error);
        assert_eq!(expandtabs("\t\t", 1 << 40), memory_error);
        let long = "a".repeat(1 << 10);
        let huge = "b".repeat(1 << 19);
        assert_eq!(replace(&long, "", &huge, -1), memory_error);
        assert_eq!(
            replace(&long, "a", &huge, 1).map(|r| r.len()),
            Ok(1023 + (1 << 19))
        );
    }

    #[test]
    fn ascii_shortcuts_agree_with_the_tables() {
        for c in (0u8..=127).map(char::from) {
            let tables = [
                (is_python_space(c), in_ranges(data::SPACE, c), "space"),
                (
                    is_python_printable(c),
                    in_ranges(data::PRINTABLE, c),
                    "printable",
                ),
                (is_alpha_char(c), in_ranges(data::ALPHA, c), "alpha"),
                (is_decimal_char(c), in_ranges(data::DECIMAL, c), "decimal"),
                (is_digit_char(c), in_ranges(data::DIGIT, c), "digit"),
                (is_numeric_char(c), in_ranges(data::NUMERIC, c), "numeric"),
                (is_lower_char(c), in_ranges(data::LOWERCASE, c), "lower"),
                (is_upper_char(c), in_ranges(data::UPPERCASE, c), "upper"),
                (is_titlecase_char(c), in_ranges(data::TITLECASE, c), "title"),
                (is_cased_char(c), in_ranges(data::CASED, c), "cased"),
            ];
            for (shortcut, table, name) in tables {
                assert_eq!(shortcut, table, "{name} of {c:?}");
            }
            let table_upper = mapping(data::TO_UPPER, c).map_or(c.to_string(), str::to_owned);
            assert_eq!(upper(&c.to_string()), table_upper, "upper of {c:?}");
            let table_lower = mapping(data::TO_LOWER, c).map_or(c.to_string(), str::to_owned);
            assert_eq!(lower(&c.to_string()), table_lower, "lower of {c:?}");
            assert_eq!(casefold(&c.to_string()), table_lower, "casefold of {c:?}");
            assert_eq!(decimal_value(c), c.to_digit(10), "decimal value of {c:?}");
        }
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for (name, table) in [
            ("ALPHA", data::ALPHA),
            ("DECIMAL", data::DECIMAL),
            ("DIGIT", data::DIGIT),
            ("NUMERIC", data::NUMERIC),
            ("SPACE", data::SPACE),
            ("PRINTABLE", data::PRINTABLE),
            ("LOWERCASE", data::LOWERCASE),
            ("UPPERCASE", data::UPPERCASE),
            ("TITLECASE", data::TITLECASE),
            ("CASED", data::CASED),
            ("CASE_IGNORABLE", data::CASE_IGNORABLE),
        ] {
            assert!(
                table.iter().all(|(start, end)| start <= end)
                    && table.windows(2).all(|pair| pair[0].1 < pair[1].0),
                "{name} ranges overlap or are out of order"
            );
        }
        for (name, table) in [
            ("TO_UPPER", data::TO_UPPER),
            ("TO_LOWER", data::TO_LOWER),
            ("TO_TITLE_EXCEPTIONS", data::TO_TITLE_EXCEPTIONS),
            ("CASEFOLD_EXCEPTIONS", data::CASEFOLD_EXCEPTIONS),
        ] {
            assert!(
                table.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "{name} is not sorted by code point"
            );
        }
    }

    #[test]
    fn decimal_values_cover_unicode_digits() {
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{663}'), Some(3));
        assert_eq!(decimal_value('\u{1d7d8}'), Some(0));
        assert_eq!(decimal_value('²'), None);
        assert_eq!(decimal_value('x'), None);
    }
}
