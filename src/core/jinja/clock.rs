//! The wall-clock time transformers' `strftime_now` global formats, and
//! Python's `strftime` for it.

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
}
