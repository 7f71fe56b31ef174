//! What transformers' chat-template environment adds to or changes in
//! Jinja2's defaults (`render_jinja_template` in
//! `transformers.utils.chat_template_utils`): the immutable sandbox's refusal
//! of mutating methods, loop controls, `tojson` as `json.dumps` with its
//! keyword arguments, and the globals `raise_exception` and `strftime_now`.
//! The rest of the engine branches here only when a program was compiled in
//! [`super::Mode::ChatTemplate`].

use std::rc::Rc;
use std::sync::Arc;

use super::ast::LoopControl;
use super::error::Exc;
use super::eval::{CallArgs, State};
use super::filters::{json_float, json_key};
use super::value::{dict_insert, py_cmp, Dict, Func, HashKey, UndefinedReason, Value};
use crate::core::py::strings::str_repr;

type R<T> = Result<T, Exc>;

/// Exception kinds that carry `{% break %}` / `{% continue %}` up to their
/// loop: every scope on the way already unwinds on an error, so the signals
/// need no second return path through the evaluator.
const BREAK: &str = "LoopBreak";
const CONTINUE: &str = "LoopContinue";

pub(crate) fn loop_signal(control: LoopControl) -> Exc {
    Exc::new(
        match control {
            LoopControl::Break => BREAK,
            LoopControl::Continue => CONTINUE,
        },
        "'break' or 'continue' outside a loop",
    )
}

pub(crate) fn caught_loop_signal(error: &Exc) -> Option<LoopControl> {
    match error.kind {
        BREAK => Some(LoopControl::Break),
        CONTINUE => Some(LoopControl::Continue),
        _ => None,
    }
}

/// A loop signal that escaped every loop is a template error (Python
/// refuses to compile a `break` outside a loop).
pub(crate) fn is_stray_loop_signal(error: &Exc) -> bool {
    caught_loop_signal(error).is_some()
}

/// The chat environment's globals: Jinja2's defaults (no PromptSource `zip`)
/// plus transformers' `raise_exception` and `strftime_now`.
pub(crate) fn global(name: &str) -> Option<Value> {
    let name: &'static str = match name {
        "range" => "range",
        "namespace" => "namespace",
        "dict" => "dict",
        "lipsum" => "lipsum",
        "cycler" => "cycler",
        "joiner" => "joiner",
        "raise_exception" => "raise_exception",
        "strftime_now" => "strftime_now",
        _ => return None,
    };
    Some(Value::Func(Rc::new(Func::Global(name))))
}

pub(crate) fn call_global(state: &mut State<'_>, name: &str, args: CallArgs) -> R<Value> {
    match name {
        "raise_exception" => {
            let [message] = take(args.bind("raise_exception", &["message"])?);
            let Some(message) = message else {
                return Err(Exc::type_error(
                    "raise_exception() missing 1 required positional argument: 'message'",
                ));
            };
            Err(Exc::new("TemplateError", message.to_str().to_string()))
        }
        _ => {
            let [format] = take(args.bind("strftime_now", &["format"])?);
            let format = match &format {
                Some(Value::Str(s)) => s.clone(),
                Some(other) => {
                    return Err(Exc::type_error(format!(
                        "strftime() argument 1 must be str, not {}",
                        other.type_name()
                    )))
                }
                None => {
                    return Err(Exc::type_error(
                        "strftime_now() missing 1 required positional argument: 'format'",
                    ))
                }
            };
            let now = state.context().now();
            Ok(Value::Str(Arc::from(strftime(&format, &now))))
        }
    }
}

fn take<const N: usize>(slots: Vec<Option<Value>>) -> [Option<Value>; N] {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    for (slot, value) in out.iter_mut().zip(slots) {
        *slot = value;
    }
    out
}

/// `ImmutableSandboxedEnvironment` refuses the methods that modify a list
/// or dict (its `modifies_known_mutable`).
pub(crate) fn check_immutable(recv: &Value, name: &str) -> R<()> {
    let mutating = match recv {
        Value::List(_) => matches!(
            name,
            "append" | "clear" | "pop" | "reverse" | "insert" | "sort" | "extend" | "remove"
        ),
        Value::Dict(_) => matches!(name, "clear" | "pop" | "popitem" | "setdefault" | "update"),
        _ => false,
    };
    if mutating {
        return Err(Exc::new(
            "SecurityError",
            format!(
                "access to attribute {} of {} object is unsafe.",
                str_repr(name),
                str_repr(recv.type_name())
            ),
        ));
    }
    Ok(())
}

/// `obj.name` as the sandbox's `getattr` hides it: mutating methods and
/// private attributes (a namespace's `_x`, any `__dunder__`) become an
/// undefined that renders as nothing and raises `SecurityError` when used.
pub(crate) fn unsafe_attribute(obj: &Value, name: &str) -> Option<Value> {
    let private =
        name.starts_with("__") || (name.starts_with('_') && matches!(obj, Value::Namespace(_)));
    if !private && check_immutable(obj, name).is_ok() {
        return None;
    }
    let type_name = match obj {
        Value::Namespace(_) => "Namespace",
        other => other.type_name(),
    };
    Some(Value::undefined(UndefinedReason::Unsafe(format!(
        "access to attribute {} of {} object is unsafe.",
        str_repr(name),
        str_repr(type_name)
    ))))
}

/// The chat environment's own filters; `None` leaves `name` to Jinja2's built-ins.
pub(crate) fn filter(
    _state: &mut State<'_>,
    name: &str,
    input: &Value,
    args: &CallArgs,
) -> Option<R<Value>> {
    match name {
        "tojson" => Some(tojson(input, args)),
        // PromptSource's filters are not part of this environment.
        "choice" | "most_frequent" | "highlight" => Some(Err(Exc::runtime(format!(
            "No filter named {} found.",
            str_repr(name)
        )))),
        _ => None,
    }
}

/// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None,
/// sort_keys=False)`: `json.dumps` with those arguments, no HTML escaping.
fn tojson(input: &Value, args: &CallArgs) -> R<Value> {
    let args = CallArgs {
        positional: args.positional.clone(),
        keyword: args.keyword.clone(),
    };
    let [ensure_ascii, indent, separators, sort_keys] = take(args.bind(
        "tojson",
        &["ensure_ascii", "indent", "separators", "sort_keys"],
    )?);
    let indent = match &indent {
        None | Some(Value::None) => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(Value::Int(n)) => {
            let width = usize::try_from(*n).unwrap_or(0);
            super::budget::charge(width)?;
            Some(" ".repeat(width))
        }
        Some(Value::Bool(b)) => Some(" ".repeat(*b as usize)),
        Some(other) => {
            return Err(Exc::type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                other.type_name()
            )))
        }
    };
    let (item_sep, key_sep): (Arc<str>, Arc<str>) = match separators {
        None | Some(Value::None) => (
            Arc::from(if indent.is_some() { "," } else { ", " }),
            Arc::from(": "),
        ),
        Some(pair) => {
            let pair = pair.iterate()?;
            let [item, key] = pair.as_slice() else {
                return Err(Exc::value_error(format!(
                    "{} values to unpack (expected 2)",
                    if pair.len() > 2 {
                        "too many"
                    } else {
                        "not enough"
                    }
                )));
            };
            (item.to_str(), key.to_str())
        }
    };
    let options = JsonOptions {
        ensure_ascii: ensure_ascii.is_some_and(|v| v.truthy()),
        indent,
        item_sep,
        key_sep,
        sort_keys: sort_keys.is_some_and(|v| v.truthy()),
    };
    let mut out = String::new();
    dump(input, &options, 0, &mut out)?;
    Ok(Value::Str(Arc::from(out)))
}

struct JsonOptions {
    ensure_ascii: bool,
    indent: Option<String>,
    item_sep: Arc<str>,
    key_sep: Arc<str>,
    sort_keys: bool,
}

/// Python's `json` nests no deeper than its recursion limit.
const MAX_JSON_DEPTH: usize = 1000;

/// A newline and `level` indents, charged to the render's memory budget: a
/// template chooses both the indent and the nesting.
fn newline(options: &JsonOptions, level: usize, out: &mut String) -> R<()> {
    if let Some(indent) = &options.indent {
        super::budget::charge(indent.len().saturating_mul(level).saturating_add(1))?;
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    }
    Ok(())
}

fn dump(value: &Value, options: &JsonOptions, level: usize, out: &mut String) -> R<()> {
    if level > MAX_JSON_DEPTH {
        return Err(Exc::new(
            "RecursionError",
            "maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::Str(s) => json_string(s, options.ensure_ascii, out),
        Value::List(_) | Value::Tuple(_) => {
            let items = value.iterate()?;
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(options, level + 1, out)?;
                dump(item, options, level + 1, out)?;
            }
            newline(options, level, out)?;
            out.push(']');
        }
        Value::Dict(d) => {
            let mut entries: Vec<(Value, Value)> = d.borrow().values().cloned().collect();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if options.sort_keys {
                let mut failed = None;
                entries.sort_by(|a, b| {
                    py_cmp(&a.0, &b.0, "<").unwrap_or_else(|e| {
                        failed.get_or_insert(e);
                        std::cmp::Ordering::Equal
                    })
                });
                if let Some(error) = failed {
                    return Err(error);
                }
            }
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(options, level + 1, out)?;
                let key = json_key(k)?;
                json_string(&key, options.ensure_ascii, out);
                out.push_str(&options.key_sep);
                dump(v, options, level + 1, out)?;
            }
            newline(options, level, out)?;
            out.push('}');
        }
        other => {
            return Err(Exc::type_error(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// `json.encoder.py_encode_basestring(_ascii)`.
fn json_string(text: &str, ensure_ascii: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A list value (for values built outside the engine, e.g. from JSON).
pub(crate) fn list_from(items: Vec<Value>) -> Value {
    Value::list(items)
}

/// A dict value with string keys, in the given order.
pub(crate) fn dict_from_pairs(pairs: impl Iterator<Item = (Arc<str>, Value)>) -> Value {
    let mut dict = Dict::new();
    for (key, value) in pairs {
        dict_insert(&mut dict, HashKey::Str(key.clone()), Value::Str(key), value);
    }
    Value::dict(dict)
}

/// A naive local date and time, as Python's `datetime.now()` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub microsecond: u32,
}

impl WallTime {
    /// The machine's local time now.
    pub fn local_now() -> WallTime {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let seconds = now.as_secs() as libc::time_t;
        // SAFETY: `localtime_r` only writes the `tm` we own; a zeroed `tm`
        // is a valid value of the plain C struct.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let converted = unsafe { !libc::localtime_r(&seconds, &mut tm).is_null() };
        if !converted {
            return WallTime::from_unix(now.as_secs() as i64, now.subsec_micros());
        }
        WallTime {
            year: tm.tm_year + 1900,
            month: (tm.tm_mon + 1) as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec.min(59) as u32,
            microsecond: now.subsec_micros(),
        }
    }

    /// The UTC wall time of a Unix timestamp.
    pub fn from_unix(seconds: i64, microsecond: u32) -> WallTime {
        let days = seconds.div_euclid(86_400);
        let rem = seconds.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        WallTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            microsecond,
        }
    }

    /// Parses an RFC 3339 timestamp (`2026-01-15T12:00:00Z`,
    /// `2026-01-15 12:00:00.5+02:00`): the wall time is the one written,
    /// in the offset written.
    pub fn parse_rfc3339(text: &str) -> Option<WallTime> {
        let text = text.trim();
        let bytes = text.as_bytes();
        if bytes.len() < 19 || !matches!(bytes[10], b'T' | b't' | b' ') {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' || bytes[16] != b':' {
            return None;
        }
        let year = number(0..4)? as i32;
        let month = number(5..7)?;
        let day = number(8..10)?;
        let hour = number(11..13)?;
        let minute = number(14..16)?;
        let second = number(17..19)?;
        let mut rest = &text[19..];
        let mut microsecond = 0;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let mut padded: String = fraction[..digits.min(6)].to_string();
            while padded.len() < 6 {
                padded.push('0');
            }
            microsecond = padded.parse().ok()?;
            rest = &fraction[digits..];
        }
        let offset_ok = matches!(rest, "Z" | "z")
            || (rest.len() == 6
                && matches!(rest.as_bytes()[0], b'+' | b'-')
                && rest.as_bytes()[3] == b':'
                && number(text.len() - 5..text.len() - 3).is_some_and(|h| h < 24)
                && number(text.len() - 2..text.len()).is_some_and(|m| m < 60));
        let valid = offset_ok
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(WallTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            microsecond,
        })
    }

    /// Monday = 0, as Python's `weekday()`.
    fn weekday(&self) -> u32 {
        let days = days_from_civil(self.year, self.month, self.day);
        // 1970-01-01 was a Thursday.
        (days + 3).rem_euclid(7) as u32
    }

    /// Day of the year, 1-based.
    fn yday(&self) -> u32 {
        (days_from_civil(self.year, self.month, self.day) - days_from_civil(self.year, 1, 1)) as u32
            + 1
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Python's `datetime.strftime` under the C locale (glibc's directives,
/// including the `-` flag for no padding; `%z`/`%Z` are empty for a naive time).
pub fn strftime(format: &str, t: &WallTime) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut directive = chars.next();
        let unpadded = directive == Some('-');
        if unpadded {
            directive = chars.next();
        }
        let num = |out: &mut String, value: u32, width: usize| {
            if unpadded {
                let _ = write!(out, "{value}");
            } else {
                let _ = write!(out, "{value:0width$}");
            }
        };
        let hour12 = match t.hour % 12 {
            0 => 12,
            h => h,
        };
        match directive {
            Some('Y') => {
                let _ = write!(out, "{}", t.year);
            }
            Some('y') => num(&mut out, t.year.rem_euclid(100) as u32, 2),
            Some('C') => num(&mut out, t.year.div_euclid(100) as u32, 2),
            Some('m') => num(&mut out, t.month, 2),
            Some('d') => num(&mut out, t.day, 2),
            Some('e') => {
                if unpadded {
                    let _ = write!(out, "{}", t.day);
                } else {
                    let _ = write!(out, "{:2}", t.day);
                }
            }
            Some('H') => num(&mut out, t.hour, 2),
            Some('I') => num(&mut out, hour12, 2),
            Some('M') => num(&mut out, t.minute, 2),
            Some('S') => num(&mut out, t.second, 2),
            Some('f') => {
                let _ = write!(out, "{:06}", t.microsecond);
            }
            Some('j') => num(&mut out, t.yday(), 3),
            Some('p') => out.push_str(if t.hour < 12 { "AM" } else { "PM" }),
            Some('A') => out.push_str(DAYS[t.weekday() as usize]),
            Some('a') => out.push_str(&DAYS[t.weekday() as usize][..3]),
            Some('B') => out.push_str(MONTHS[t.month as usize - 1]),
            Some('b') | Some('h') => out.push_str(&MONTHS[t.month as usize - 1][..3]),
            Some('w') => {
                let _ = write!(out, "{}", (t.weekday() + 1) % 7);
            }
            Some('u') => {
                let _ = write!(out, "{}", t.weekday() + 1);
            }
            Some('U') => num(&mut out, (t.yday() + 6 - (t.weekday() + 1) % 7) / 7, 2),
            Some('W') => num(&mut out, (t.yday() + 6 - t.weekday()) / 7, 2),
            Some('D') => out.push_str(&strftime("%m/%d/%y", t)),
            Some('F') => out.push_str(&strftime("%Y-%m-%d", t)),
            Some('T') => out.push_str(&strftime("%H:%M:%S", t)),
            Some('R') => out.push_str(&strftime("%H:%M", t)),
            Some('r') => out.push_str(&strftime("%I:%M:%S %p", t)),
            Some('c') => out.push_str(&strftime("%a %b %e %H:%M:%S %Y", t)),
            Some('x') => out.push_str(&strftime("%m/%d/%y", t)),
            Some('X') => out.push_str(&strftime("%H:%M:%S", t)),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('%') => out.push('%'),
            Some('z') | Some('Z') => {}
            Some(other) => {
                out.push('%');
                if unpadded {
                    out.push('-');
                }
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frozen() -> WallTime {
        WallTime::parse_rfc3339("2026-01-15T12:00:00Z").expect("valid")
    }

    #[test]
    fn strftime_matches_python_for_a_frozen_instant() {
        // Python: datetime(2026, 1, 15, 12).strftime(...)
        let t = frozen();
        assert_eq!(strftime("%Y-%m-%d", &t), "2026-01-15");
        assert_eq!(strftime("%d %B %Y", &t), "15 January 2026");
        assert_eq!(
            strftime("%a %b %-d %j %I%p %U %W", &t),
            "Thu Jan 15 015 12PM 02 02"
        );
        assert_eq!(strftime("%c", &t), "Thu Jan 15 12:00:00 2026");
    }

    #[test]
    fn unix_and_rfc3339_agree() {
        // 2026-01-15T12:00:00Z
        assert_eq!(WallTime::from_unix(1_768_478_400, 0), frozen());
        assert!(WallTime::parse_rfc3339("2026-02-30T00:00:00Z").is_none());
        assert!(WallTime::parse_rfc3339("2026-01-15T12:00:00").is_none());
        assert_eq!(
            WallTime::parse_rfc3339("2026-01-15 23:59:59.25+05:30")
                .map(|t| (t.hour, t.microsecond)),
            Some((23, 250_000))
        );
    }

    #[test]
    fn json_strings_escape_as_python() {
        let mut out = String::new();
        json_string("é<\u{1}\"😀", false, &mut out);
        assert_eq!(out, "\"é<\\u0001\\\"😀\"");
        out.clear();
        json_string("é😀", true, &mut out);
        assert_eq!(out, "\"\\u00e9\\ud83d\\ude00\"");
    }
}
