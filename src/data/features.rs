//! Hugging Face `datasets` features: what a column means beyond its Arrow
//! type (ClassLabel names, Sequence, Translation, Image...), and how to show
//! a cell to a human.
//!
//! Features come from the `huggingface` key of Parquet/Arrow schema metadata
//! (`{"info": {"features": ...}}`) or from `dataset_info.json`
//! (`{"features": ...}`). Both eras of the JSON are read: `datasets` 2.x
//! writes `{"_type": "Sequence", "feature": ...}`, current releases write
//! `{"_type": "List", "feature": ...}` and `LargeList`; a plain JSON list
//! `[feature]` is a Python list of that feature, and a JSON object without
//! `_type` is a dict of features.

use std::fmt::Write as _;

use serde_json::Value;

use crate::core::datum::Datum;

/// One feature, as `datasets` declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// `Value(dtype)`: a scalar (`string`, `int32`, `float32`, `bool`, ...).
    Value { dtype: String },
    /// `ClassLabel`: an integer whose meaning is `names[i]`.
    ClassLabel { names: Vec<String> },
    /// `Sequence`, `List`, `LargeList` or a plain `[feature]`. `length` is
    /// the fixed length, if any.
    List {
        item: Box<Feature>,
        length: Option<usize>,
        kind: ListKind,
    },
    /// A dict of features, in declaration order.
    Dict(Vec<(String, Feature)>),
    /// `Translation(languages)`: a dict from language code to text.
    Translation { languages: Vec<String> },
    /// `TranslationVariableLanguages`: `{language: [...], translation: [...]}`.
    TranslationVariableLanguages { languages: Vec<String> },
    /// `Image`, `Audio`, `Video`, `Array2D`..., `Pdf` and any type this
    /// version does not know: shown from their stored value.
    Other { type_name: String },
}

/// Where a list feature came from, which decides its Python shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `datasets` 2.x `Sequence`: a Sequence of a dict is a dict of lists.
    Sequence,
    /// Current `List` / `LargeList` and plain `[feature]`: a list of items.
    List,
}

/// The features of a table: one per top-level column, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Features {
    pub columns: Vec<(String, Feature)>,
}

impl Features {
    /// Parses the `huggingface` schema metadata value.
    pub fn from_schema_metadata(json: &str) -> Result<Features, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|error| format!("not JSON: {error}"))?;
        let features = value
            .get("info")
            .and_then(|info| info.get("features"))
            .ok_or("no `info.features` key")?;
        Features::from_json(features)
    }

    /// Parses a `dataset_info.json` document.
    pub fn from_dataset_info(json: &str) -> Result<Features, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|error| format!("not JSON: {error}"))?;
        let features = value.get("features").ok_or("no `features` key")?;
        Features::from_json(features)
    }

    /// Parses the features object itself (`{"column": feature, ...}`).
    pub fn from_json(features: &Value) -> Result<Features, String> {
        let object = features
            .as_object()
            .ok_or("features are not a JSON object")?;
        let columns = object
            .iter()
            .map(|(name, feature)| {
                parse_feature(feature)
                    .map(|feature| (name.clone(), feature))
                    .map_err(|error| format!("column `{name}`: {error}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Features { columns })
    }

    pub fn get(&self, column: &str) -> Option<&Feature> {
        self.columns
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, feature)| feature)
    }
}

/// Nesting deeper than this is refused rather than recursed into, so a
/// hostile metadata blob cannot overflow the stack.
const MAX_DEPTH: usize = 64;

fn parse_feature(value: &Value) -> Result<Feature, String> {
    parse_at_depth(value, 0)
}

fn parse_at_depth(value: &Value, depth: usize) -> Result<Feature, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested more than {MAX_DEPTH} levels"));
    }
    let parse_nested = |value: &Value| parse_at_depth(value, depth + 1);
    match value {
        Value::Array(items) => match items.as_slice() {
            [item] => Ok(Feature::List {
                item: Box::new(parse_nested(item)?),
                length: None,
                kind: ListKind::List,
            }),
            _ => Err(format!(
                "a list feature holds exactly one item feature, not {}",
                items.len()
            )),
        },
        Value::Object(object) => {
            let Some(type_name) = object.get("_type").and_then(Value::as_str) else {
                let fields = object
                    .iter()
                    .map(|(name, feature)| {
                        parse_nested(feature).map(|feature| (name.clone(), feature))
                    })
                    .collect::<Result<_, _>>()?;
                return Ok(Feature::Dict(fields));
            };
            let strings = |key: &str| -> Vec<String> {
                object
                    .get(key)
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|item| item.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            match type_name {
                "Value" => Ok(Feature::Value {
                    dtype: object
                        .get("dtype")
                        .and_then(Value::as_str)
                        .ok_or("Value without a dtype")?
                        .to_string(),
                }),
                "ClassLabel" => {
                    let mut names = strings("names");
                    // Older files give only the count; Python then names the
                    // classes "0", "1", ...
                    if names.is_empty() {
                        let count = object
                            .get("num_classes")
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                            .min(1 << 20);
                        names = (0..count).map(|class| class.to_string()).collect();
                    }
                    Ok(Feature::ClassLabel { names })
                }
                "Sequence" | "List" | "LargeList" => {
                    let item = object
                        .get("feature")
                        .ok_or_else(|| format!("{type_name} without a feature"))?;
                    let length = object
                        .get("length")
                        .and_then(Value::as_i64)
                        .and_then(|length| usize::try_from(length).ok());
                    Ok(Feature::List {
                        item: Box::new(parse_nested(item)?),
                        length,
                        kind: if type_name == "Sequence" {
                            ListKind::Sequence
                        } else {
                            ListKind::List
                        },
                    })
                }
                "Translation" => Ok(Feature::Translation {
                    languages: strings("languages"),
                }),
                "TranslationVariableLanguages" => Ok(Feature::TranslationVariableLanguages {
                    languages: strings("languages"),
                }),
                other => Ok(Feature::Other {
                    type_name: other.to_string(),
                }),
            }
        }
        other => Err(format!("unexpected feature JSON {other}")),
    }
}

impl Feature {
    /// The feature of each item of a list value shaped like this feature,
    /// and for a legacy Sequence of a dict, the dict whose fields are lists.
    fn as_stored(&self) -> StoredShape<'_> {
        match self {
            Feature::List {
                item,
                kind: ListKind::Sequence,
                ..
            } if matches!(item.as_ref(), Feature::Dict(_)) => match item.as_ref() {
                Feature::Dict(fields) => StoredShape::DictOfLists(fields),
                _ => StoredShape::Plain,
            },
            _ => StoredShape::Plain,
        }
    }

    /// A short type description for schemas: `ClassLabel(4: World, Sports, ...)`.
    pub fn describe(&self) -> String {
        match self {
            Feature::Value { dtype } => format!("Value({dtype})"),
            Feature::ClassLabel { names } => {
                let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
                let more = if names.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                };
                format!("ClassLabel({}: {}{more})", names.len(), shown.join(", "))
            }
            Feature::List { item, length, kind } => {
                let name = match kind {
                    ListKind::Sequence => "Sequence",
                    ListKind::List => "List",
                };
                match length {
                    Some(length) => format!("{name}({}, length={length})", item.describe()),
                    None => format!("{name}({})", item.describe()),
                }
            }
            Feature::Dict(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(name, feature)| format!("{name}: {}", feature.describe()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Feature::Translation { languages } => {
                format!("Translation({})", languages.join(", "))
            }
            Feature::TranslationVariableLanguages { languages } => {
                format!("TranslationVariableLanguages({})", languages.join(", "))
            }
            Feature::Other { type_name } => type_name.clone(),
        }
    }
}

enum StoredShape<'a> {
    Plain,
    /// A legacy `Sequence` of a dict: stored and yielded as a dict of lists.
    DictOfLists(&'a [(String, Feature)]),
}

/// How cells are shown to a human.
#[derive(Debug, Clone)]
pub struct CellFormat {
    /// Strings longer than this many characters are cut, with the count of
    /// what was left out.
    pub max_chars: usize,
    /// Lists longer than this show their first items and a count.
    pub max_items: usize,
}

impl Default for CellFormat {
    fn default() -> Self {
        CellFormat {
            max_chars: 200,
            max_items: 20,
        }
    }
}

/// A cell for a human: ClassLabel names (`2 (Business)`), nested values the
/// way Python prints them, long text elided with a count, binary as
/// `<bytes: 1.2 KB>`. `feature` is the column's feature, if known.
pub fn format_cell(datum: &Datum, feature: Option<&Feature>, format: &CellFormat) -> String {
    let mut out = String::new();
    write_cell(&mut out, datum, feature, format, true);
    out
}

fn write_cell(
    out: &mut String,
    datum: &Datum,
    feature: Option<&Feature>,
    format: &CellFormat,
    top_level: bool,
) {
    match datum {
        Datum::None => out.push_str("None"),
        Datum::Bool(flag) => out.push_str(if *flag { "True" } else { "False" }),
        Datum::Int(value) => {
            let _ = write!(out, "{value}");
            if let Some(Feature::ClassLabel { names }) = feature {
                if let Some(name) = usize::try_from(*value).ok().and_then(|i| names.get(i)) {
                    let _ = write!(out, " ({name})");
                }
            }
        }
        Datum::Float(value) => out.push_str(&python_float_repr(*value)),
        Datum::Str(text) => {
            let shown = elide(text, format.max_chars);
            if top_level {
                out.push_str(&shown);
            } else {
                out.push_str(&python_str_repr(&shown));
            }
        }
        Datum::Bytes(bytes) => {
            let _ = write!(out, "<bytes: {}>", human_size(bytes.len() as u64));
        }
        Datum::Display { str, repr } => {
            out.push_str(if top_level { str } else { repr });
        }
        Datum::List(items) => {
            let item_feature = match feature {
                Some(Feature::List { item, .. }) => Some(item.as_ref()),
                _ => None,
            };
            out.push('[');
            for (index, item) in items.iter().take(format.max_items).enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_cell(out, item, item_feature, format, false);
            }
            if items.len() > format.max_items {
                let _ = write!(out, ", ... (+{} more)", items.len() - format.max_items);
            }
            out.push(']');
        }
        Datum::Dict(fields) => {
            let stored = feature.map(Feature::as_stored);
            out.push('{');
            for (index, (key, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&python_str_repr(key));
                out.push_str(": ");
                let field_feature = match (feature, &stored) {
                    (_, Some(StoredShape::DictOfLists(fields))) => field_of(fields, key),
                    (Some(Feature::Dict(fields)), _) => field_of(fields, key),
                    _ => None,
                };
                match (&stored, field_feature) {
                    // Each field of a Sequence-of-dict is a list of that field.
                    (Some(StoredShape::DictOfLists(_)), Some(item)) => {
                        write_list_of(out, value, item, format)
                    }
                    _ => write_cell(out, value, field_feature, format, false),
                }
            }
            out.push('}');
        }
    }
}

fn write_list_of(out: &mut String, value: &Datum, item: &Feature, format: &CellFormat) {
    let list = Feature::List {
        item: Box::new(item.clone()),
        length: None,
        kind: ListKind::List,
    };
    write_cell(out, value, Some(&list), format, false);
}

fn field_of<'a>(fields: &'a [(String, Feature)], key: &str) -> Option<&'a Feature> {
    fields
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, feature)| feature)
}

/// `text` cut to `max_chars` characters, with what was left out counted.
pub fn elide(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => {
            let left_out = text[cut..].chars().count();
            std::borrow::Cow::Owned(format!("{}… (+{left_out} chars)", &text[..cut]))
        }
    }
}

/// `1234` bytes → `1.2 KB` (decimal units, as the size is for reading).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Python's `repr()` of a str: single quotes unless the text has a single
/// quote and no double quote; control characters escaped.
pub fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if ch == quote => {
                out.push('\\');
                out.push(ch);
            }
            ch if (ch as u32) < 0x20 || ch as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", ch as u32);
            }
            ch => out.push(ch),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of a float: the shortest round-trip digits, positional
/// for exponents in -4..16, scientific (`1e+16`, `1.5e-05`) outside.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let scientific = format!("{value:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let positional = format!("{value}");
        if positional.contains('.') {
            positional
        } else {
            format!("{positional}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ag_news() -> Features {
        Features::from_schema_metadata(
            r#"{"info": {"features": {"text": {"dtype": "string", "_type": "Value"},
                "label": {"names": ["World", "Sports", "Business", "Sci/Tech"], "_type": "ClassLabel"},
                "answers": {"feature": {"text": {"dtype": "string", "_type": "Value"},
                                        "label": {"names": ["no", "yes"], "_type": "ClassLabel"}},
                            "_type": "Sequence"},
                "tags": [{"name": {"dtype": "string", "_type": "Value"}}],
                "modern": {"feature": {"names": ["a", "b"], "_type": "ClassLabel"}, "_type": "List"}}}}"#,
        )
        .expect("valid metadata")
    }

    #[test]
    fn reads_both_eras_of_features() {
        let features = ag_news();
        assert_eq!(
            features.get("label"),
            Some(&Feature::ClassLabel {
                names: ["World", "Sports", "Business", "Sci/Tech"]
                    .map(String::from)
                    .to_vec()
            })
        );
        assert!(matches!(
            features.get("answers"),
            Some(Feature::List {
                kind: ListKind::Sequence,
                ..
            })
        ));
        assert!(matches!(
            features.get("tags"),
            Some(Feature::List {
                kind: ListKind::List,
                ..
            })
        ));
        assert_eq!(
            features.get("modern").map(Feature::describe).as_deref(),
            Some("List(ClassLabel(2: a, b))")
        );
    }

    #[test]
    fn class_labels_show_their_names() {
        let features = ag_news();
        let format = CellFormat::default();
        assert_eq!(
            format_cell(&Datum::Int(2), features.get("label"), &format),
            "2 (Business)"
        );
        assert_eq!(
            format_cell(&Datum::Int(-1), features.get("label"), &format),
            "-1"
        );
        let answers = Datum::Dict(Arc::from([
            (
                Arc::from("text"),
                Datum::List(Arc::from([Datum::str("it's")])),
            ),
            (Arc::from("label"), Datum::List(Arc::from([Datum::Int(1)]))),
        ]));
        assert_eq!(
            format_cell(&answers, features.get("answers"), &format),
            r#"{'text': ["it's"], 'label': [1 (yes)]}"#
        );
    }

    #[test]
    fn long_text_and_bytes_are_summarised() {
        let format = CellFormat {
            max_chars: 5,
            max_items: 2,
        };
        assert_eq!(
            format_cell(&Datum::str("abcdefgh"), None, &format),
            "abcde… (+3 chars)"
        );
        assert_eq!(
            format_cell(&Datum::Bytes(Arc::from(vec![0u8; 1234])), None, &format),
            "<bytes: 1.2 KB>"
        );
        let list = Datum::List(Arc::from([Datum::Int(1), Datum::Int(2), Datum::Int(3)]));
        assert_eq!(format_cell(&list, None, &format), "[1, 2, ... (+1 more)]");
    }

    #[test]
    fn floats_print_like_python() {
        assert_eq!(python_float_repr(1.0), "1.0");
        assert_eq!(python_float_repr(0.1), "0.1");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(1.5e-5), "1.5e-05");
        assert_eq!(python_float_repr(0.0001), "0.0001");
        assert_eq!(python_float_repr(123456789012345.6), "123456789012345.6");
        assert_eq!(python_float_repr(-0.0), "-0.0");
    }

    #[test]
    fn hostile_nesting_is_refused() {
        let deep =
            "[".repeat(100) + "{\"dtype\": \"string\", \"_type\": \"Value\"}" + &"]".repeat(100);
        let json = format!("{{\"column\": {deep}}}");
        let value: Value = serde_json::from_str(&json).expect("JSON");
        assert!(Features::from_json(&value).is_err());
    }
}
