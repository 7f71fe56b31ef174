//! Arrow values to row values, shaped exactly as `datasets` yields them.
//!
//! `datasets` (Python formatter) returns `pyarrow.Table.to_pydict()`, so the
//! Arrow type alone decides the Python shape: a struct is a dict (a
//! `Sequence` of a dict is stored as a struct of lists, hence a dict of
//! lists), a list of structs is a list of dicts, ClassLabel is its integer.
//! The Hugging Face features only matter for display (see `features`), with
//! one deliberate difference: `Image`/`Audio` columns stay their stored
//! `{bytes, path}` dicts where Python would decode them into objects.
//!
//! Values Python shows through their own class (dates, times, durations,
//! decimals) become [`Datum::Display`] with the `str()` and `repr()` Python
//! gives them.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, DecimalType, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use crate::core::datum::{Datum, Row};

/// Converts every row of `batch`, naming the columns with `names` (shared
/// between rows so a million rows do not hold a million copies of them).
pub(crate) fn batch_rows(batch: &RecordBatch, names: &[Arc<str>]) -> Result<Vec<Row>, CellError> {
    (0..batch.num_rows())
        .map(|index| batch_row(batch, names, index))
        .collect()
}

/// Converts row `index` of `batch`.
pub(crate) fn batch_row(
    batch: &RecordBatch,
    names: &[Arc<str>],
    index: usize,
) -> Result<Row, CellError> {
    let fields = batch
        .columns()
        .iter()
        .zip(names)
        .map(|(column, name)| {
            datum_at(column.as_ref(), index)
                .map(|datum| (name.clone(), datum))
                .map_err(|message| CellError {
                    row_in_batch: index,
                    column: name.to_string(),
                    message,
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(Row::new(fields))
}

/// A value that could not be converted; the caller adds the file and the
/// absolute row number.
#[derive(Debug)]
pub(crate) struct CellError {
    pub row_in_batch: usize,
    pub column: String,
    pub message: String,
}

/// The value at `index` of `array`, or why it cannot be represented.
pub fn datum_at(array: &dyn Array, index: usize) -> Result<Datum, String> {
    if index >= array.len() {
        return Err(format!(
            "index {index} past the end of an array of {}",
            array.len()
        ));
    }
    if array.is_null(index) {
        return Ok(Datum::None);
    }
    let unexpected = || format!("array does not match its type {}", array.data_type());
    macro_rules! primitive {
        ($type:ty) => {
            array
                .as_primitive_opt::<$type>()
                .ok_or_else(unexpected)?
                .value(index)
        };
    }
    let datum = match array.data_type() {
        DataType::Null => Datum::None,
        DataType::Boolean => {
            Datum::Bool(array.as_boolean_opt().ok_or_else(unexpected)?.value(index))
        }
        DataType::Int8 => Datum::Int(primitive!(Int8Type).into()),
        DataType::Int16 => Datum::Int(primitive!(Int16Type).into()),
        DataType::Int32 => Datum::Int(primitive!(Int32Type).into()),
        DataType::Int64 => Datum::Int(primitive!(Int64Type)),
        DataType::UInt8 => Datum::Int(primitive!(UInt8Type).into()),
        DataType::UInt16 => Datum::Int(primitive!(UInt16Type).into()),
        DataType::UInt32 => Datum::Int(primitive!(UInt32Type).into()),
        DataType::UInt64 => {
            let value = primitive!(UInt64Type);
            // Python ints are unbounded; beyond i64 the text is still exact.
            match i64::try_from(value) {
                Ok(int) => Datum::Int(int),
                Err(_) => python_object(value.to_string(), value.to_string()),
            }
        }
        DataType::Float16 => Datum::Float(primitive!(Float16Type).to_f64()),
        // Widening is exact: Python sees the float32 value as a double.
        DataType::Float32 => Datum::Float(f64::from(primitive!(Float32Type))),
        DataType::Float64 => Datum::Float(primitive!(Float64Type)),
        DataType::Utf8 => Datum::str(
            array
                .as_string_opt::<i32>()
                .ok_or_else(unexpected)?
                .value(index),
        ),
        DataType::LargeUtf8 => Datum::str(
            array
                .as_string_opt::<i64>()
                .ok_or_else(unexpected)?
                .value(index),
        ),
        DataType::Utf8View => Datum::str(
            array
                .as_string_view_opt()
                .ok_or_else(unexpected)?
                .value(index),
        ),
        DataType::Binary => Datum::Bytes(Arc::from(
            array
                .as_binary_opt::<i32>()
                .ok_or_else(unexpected)?
                .value(index),
        )),
        DataType::LargeBinary => Datum::Bytes(Arc::from(
            array
                .as_binary_opt::<i64>()
                .ok_or_else(unexpected)?
                .value(index),
        )),
        DataType::BinaryView => Datum::Bytes(Arc::from(
            array
                .as_binary_view_opt()
                .ok_or_else(unexpected)?
                .value(index),
        )),
        DataType::FixedSizeBinary(_) => Datum::Bytes(Arc::from(
            array
                .as_fixed_size_binary_opt()
                .ok_or_else(unexpected)?
                .value(index),
        )),
        DataType::List(_) => list_items(
            array
                .as_list_opt::<i32>()
                .ok_or_else(unexpected)?
                .value(index),
        )?,
        DataType::LargeList(_) => list_items(
            array
                .as_list_opt::<i64>()
                .ok_or_else(unexpected)?
                .value(index),
        )?,
        DataType::ListView(_) => list_items(
            array
                .as_list_view_opt::<i32>()
                .ok_or_else(unexpected)?
                .value(index),
        )?,
        DataType::LargeListView(_) => list_items(
            array
                .as_list_view_opt::<i64>()
                .ok_or_else(unexpected)?
                .value(index),
        )?,
        DataType::FixedSizeList(_, _) => list_items(
            array
                .as_fixed_size_list_opt()
                .ok_or_else(unexpected)?
                .value(index),
        )?,
        DataType::Struct(fields) => {
            let array = array.as_struct_opt().ok_or_else(unexpected)?;
            let entries = fields
                .iter()
                .zip(array.columns())
                .map(|(field, column)| {
                    datum_at(column.as_ref(), index)
                        .map(|value| (Arc::from(field.name().as_str()), value))
                })
                .collect::<Result<Arc<[_]>, _>>()?;
            Datum::Dict(entries)
        }
        // pyarrow yields a map as a list of (key, value) tuples; row values
        // have no tuple, so each pair is a two-item list.
        DataType::Map(_, _) => {
            let entries = array.as_map_opt().ok_or_else(unexpected)?.value(index);
            let pairs = (0..entries.len())
                .map(|entry| {
                    Ok(Datum::List(Arc::from([
                        datum_at(entries.column(0).as_ref(), entry)?,
                        datum_at(entries.column(1).as_ref(), entry)?,
                    ])))
                })
                .collect::<Result<Arc<[_]>, String>>()?;
            Datum::List(pairs)
        }
        DataType::Dictionary(key_type, _) => {
            let dictionary = array.as_any_dictionary_opt().ok_or_else(unexpected)?;
            let key = dictionary_key(dictionary.keys(), key_type, index)
                .ok_or_else(|| format!("dictionary key of type {key_type} is not a valid index"))?;
            datum_at(dictionary.values().as_ref(), key)?
        }
        DataType::Date32 => {
            let days = i64::from(primitive!(Date32Type));
            python_date(days)
        }
        DataType::Date64 => {
            let millis = primitive!(Date64Type);
            python_date(millis.div_euclid(MILLIS_PER_DAY))
        }
        DataType::Timestamp(unit, zone) => {
            let value = match unit {
                TimeUnit::Second => primitive!(TimestampSecondType),
                TimeUnit::Millisecond => primitive!(TimestampMillisecondType),
                TimeUnit::Microsecond => primitive!(TimestampMicrosecondType),
                TimeUnit::Nanosecond => primitive!(TimestampNanosecondType),
            };
            python_timestamp(value, *unit, zone.as_deref())?
        }
        DataType::Time32(unit) => {
            let value = match unit {
                TimeUnit::Second => i64::from(primitive!(Time32SecondType)),
                _ => i64::from(primitive!(Time32MillisecondType)),
            };
            python_time(to_nanos(value, *unit))
        }
        DataType::Time64(unit) => {
            let value = match unit {
                TimeUnit::Nanosecond => primitive!(Time64NanosecondType),
                _ => primitive!(Time64MicrosecondType),
            };
            python_time(to_nanos(value, *unit))
        }
        DataType::Duration(unit) => {
            let value = match unit {
                TimeUnit::Second => primitive!(DurationSecondType),
                TimeUnit::Millisecond => primitive!(DurationMillisecondType),
                TimeUnit::Microsecond => primitive!(DurationMicrosecondType),
                TimeUnit::Nanosecond => primitive!(DurationNanosecondType),
            };
            python_timedelta(i128::from(value) * i128::from(nanos_per_unit(*unit)))
        }
        DataType::Decimal128(precision, scale) => {
            let text =
                Decimal128Type::format_decimal(primitive!(Decimal128Type), *precision, *scale);
            python_decimal(text)
        }
        DataType::Decimal256(precision, scale) => {
            let text =
                Decimal256Type::format_decimal(primitive!(Decimal256Type), *precision, *scale);
            python_decimal(text)
        }
        other => return Err(format!("Arrow type {other} is not supported")),
    };
    Ok(datum)
}

fn list_items(items: ArrayRef) -> Result<Datum, String> {
    let values = (0..items.len())
        .map(|item| datum_at(items.as_ref(), item))
        .collect::<Result<Arc<[_]>, _>>()?;
    Ok(Datum::List(values))
}

fn dictionary_key(keys: &dyn Array, key_type: &DataType, index: usize) -> Option<usize> {
    macro_rules! key {
        ($type:ty) => {
            usize::try_from(keys.as_primitive_opt::<$type>()?.value(index)).ok()
        };
    }
    match key_type {
        DataType::Int8 => key!(Int8Type),
        DataType::Int16 => key!(Int16Type),
        DataType::Int32 => key!(Int32Type),
        DataType::Int64 => key!(Int64Type),
        DataType::UInt8 => key!(UInt8Type),
        DataType::UInt16 => key!(UInt16Type),
        DataType::UInt32 => key!(UInt32Type),
        DataType::UInt64 => key!(UInt64Type),
        _ => None,
    }
}

fn python_object(str: String, repr: String) -> Datum {
    Datum::Display {
        str: Arc::from(str),
        repr: Arc::from(repr),
    }
}

const MILLIS_PER_DAY: i64 = 86_400_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND as i128;

fn nanos_per_unit(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => NANOS_PER_SECOND,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

fn to_nanos(value: i64, unit: TimeUnit) -> i64 {
    value.saturating_mul(nanos_per_unit(unit))
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn python_date(days: i64) -> Datum {
    let (year, month, day) = civil_from_days(days);
    python_object(
        format!("{year:04}-{month:02}-{day:02}"),
        format!("datetime.date({year}, {month}, {day})"),
    )
}

/// Hours, minutes, seconds and nanoseconds of a time of day.
fn clock(nanos_of_day: i64) -> (i64, i64, i64, i64) {
    let seconds = nanos_of_day / NANOS_PER_SECOND;
    (
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        nanos_of_day % NANOS_PER_SECOND,
    )
}

/// Python's `str()` of a time: microseconds only when not zero.
fn clock_str(hours: i64, minutes: i64, seconds: i64, micros: i64) -> String {
    if micros == 0 {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    } else {
        format!("{hours:02}:{minutes:02}:{seconds:02}.{micros:06}")
    }
}

/// Python's `repr()` arguments of a time: trailing zero fields are left out,
/// but hours and minutes always appear.
fn clock_repr_args(hours: i64, minutes: i64, seconds: i64, micros: i64) -> String {
    if micros != 0 {
        format!("{hours}, {minutes}, {seconds}, {micros}")
    } else if seconds != 0 {
        format!("{hours}, {minutes}, {seconds}")
    } else {
        format!("{hours}, {minutes}")
    }
}

fn python_time(nanos_of_day: i64) -> Datum {
    let (hours, minutes, seconds, nanos) = clock(nanos_of_day);
    let micros = nanos / 1000;
    python_object(
        clock_str(hours, minutes, seconds, micros),
        format!(
            "datetime.time({})",
            clock_repr_args(hours, minutes, seconds, micros)
        ),
    )
}

/// pyarrow yields `datetime.datetime` for s/ms/us timestamps (tz-aware when
/// the column has a zone) and, with pandas installed as `datasets` requires,
/// `pandas.Timestamp` for ns ones.
fn python_timestamp(value: i64, unit: TimeUnit, zone: Option<&str>) -> Result<Datum, String> {
    let offset_minutes = match zone {
        None => None,
        Some(zone) => Some(fixed_offset_minutes(zone).ok_or_else(|| {
            format!(
                "time zone `{zone}` is not supported (only UTC and fixed offsets such as +02:00)"
            )
        })?),
    };
    let nanos = i128::from(value) * i128::from(nanos_per_unit(unit))
        + i128::from(offset_minutes.unwrap_or(0)) * 60 * i128::from(NANOS_PER_SECOND);
    let days = nanos.div_euclid(NANOS_PER_DAY);
    let nanos_of_day = nanos.rem_euclid(NANOS_PER_DAY) as i64;
    let days = i64::try_from(days).map_err(|_| format!("timestamp {value} is out of range"))?;
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes, seconds, nanos) = clock(nanos_of_day);
    let micros = nanos / 1000;
    let date = format!("{year:04}-{month:02}-{day:02}");
    let offset = offset_minutes.map(|minutes| {
        let sign = if minutes < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
    });
    let offset_text = offset.clone().unwrap_or_default();
    if unit == TimeUnit::Nanosecond {
        let time = if nanos == 0 {
            format!("{hours:02}:{minutes:02}:{seconds:02}")
        } else if nanos % 1000 == 0 {
            format!("{hours:02}:{minutes:02}:{seconds:02}.{micros:06}")
        } else {
            format!("{hours:02}:{minutes:02}:{seconds:02}.{nanos:09}")
        };
        let text = format!("{date} {time}{offset_text}");
        // pandas writes the offset without its colon in the repr.
        let repr = match zone {
            Some(zone) => format!(
                "Timestamp('{date} {time}{}', tz='{zone}')",
                offset_text.replace(':', "")
            ),
            None => format!("Timestamp('{text}')"),
        };
        return Ok(python_object(text, repr));
    }
    let text = format!(
        "{date} {}{offset_text}",
        clock_str(hours, minutes, seconds, micros)
    );
    // pyarrow builds zones with pytz when it is installed, as it is next to
    // `datasets` (pandas depends on it), so reprs are pytz's.
    let tzinfo = match (zone, offset_minutes) {
        (_, None) => String::new(),
        (Some("UTC"), Some(_)) => ", tzinfo=<UTC>".to_string(),
        (Some(zone), Some(_)) if is_utc_name(zone) => {
            format!(", tzinfo=<StaticTzInfo '{zone}'>")
        }
        (_, Some(minutes)) => format!(", tzinfo=pytz.FixedOffset({minutes})"),
    };
    Ok(python_object(
        text,
        format!(
            "datetime.datetime({year}, {month}, {day}, {}{tzinfo})",
            clock_repr_args(hours, minutes, seconds, micros)
        ),
    ))
}

fn is_utc_name(zone: &str) -> bool {
    matches!(zone, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT")
}

/// UTC and `±HH:MM` zones; named zones would need a time-zone database.
fn fixed_offset_minutes(zone: &str) -> Option<i64> {
    if is_utc_name(zone) {
        return Some(0);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = minutes.parse().ok()?;
    (hours < 24 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// `datetime.timedelta` normalised as Python does: days may be negative,
/// seconds and microseconds never are.
fn timedelta_parts(nanos: i128) -> (i128, i128, i128) {
    let micros = nanos.div_euclid(1000);
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    (days, rest / 1_000_000, rest % 1_000_000)
}

fn timedelta_repr_args(nanos: i128) -> String {
    let (days, seconds, micros) = timedelta_parts(nanos);
    let mut args = Vec::new();
    if days != 0 {
        args.push(format!("days={days}"));
    }
    if seconds != 0 {
        args.push(format!("seconds={seconds}"));
    }
    if micros != 0 {
        args.push(format!("microseconds={micros}"));
    }
    if args.is_empty() {
        "0".to_string()
    } else {
        args.join(", ")
    }
}

fn python_timedelta(nanos: i128) -> Datum {
    let (days, seconds, micros) = timedelta_parts(nanos);
    let clock = format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    let clock = if micros == 0 {
        clock
    } else {
        format!("{clock}.{micros:06}")
    };
    let text = match days {
        0 => clock,
        1 | -1 => format!("{days} day, {clock}"),
        _ => format!("{days} days, {clock}"),
    };
    python_object(
        text,
        format!("datetime.timedelta({})", timedelta_repr_args(nanos)),
    )
}

fn python_decimal(text: String) -> Datum {
    let repr = format!("Decimal('{text}')");
    python_object(text, repr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(datum: Datum) -> (String, String) {
        match datum {
            Datum::Display { str, repr } => (str.to_string(), repr.to_string()),
            other => panic!("expected a Python object, got {other:?}"),
        }
    }

    #[test]
    fn dates_match_python() {
        assert_eq!(
            shown(python_date(0)),
            ("1970-01-01".into(), "datetime.date(1970, 1, 1)".into())
        );
        assert_eq!(shown(python_date(18_292)).0, "2020-01-31");
        assert_eq!(shown(python_date(-1)).0, "1969-12-31");
        assert_eq!(shown(python_date(11_016)).0, "2000-02-29");
    }

    #[test]
    fn timedelta_matches_python() {
        let second = i128::from(NANOS_PER_SECOND);
        assert_eq!(
            shown(python_timedelta(-second)),
            (
                "-1 day, 23:59:59".into(),
                "datetime.timedelta(days=-1, seconds=86399)".into()
            )
        );
        assert_eq!(shown(python_timedelta(0)).1, "datetime.timedelta(0)");
        assert_eq!(
            shown(python_timedelta(2 * NANOS_PER_DAY + 5 * second + 7000)).0,
            "2 days, 0:00:05.000007"
        );
    }

    #[test]
    fn timestamps_match_python() {
        let (text, repr) = shown(
            python_timestamp(1_580_472_000_000_000, TimeUnit::Microsecond, None).expect("in range"),
        );
        assert_eq!(text, "2020-01-31 12:00:00");
        assert_eq!(repr, "datetime.datetime(2020, 1, 31, 12, 0)");
        let (text, _) = shown(
            python_timestamp(1_580_472_000, TimeUnit::Second, Some("+02:00")).expect("in range"),
        );
        assert_eq!(text, "2020-01-31 14:00:00+02:00");
        assert!(python_timestamp(0, TimeUnit::Second, Some("Europe/Paris")).is_err());
    }
}
