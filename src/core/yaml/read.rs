//! Reading `templates.yaml`.
//!
//! serde_yaml is not used here: it expands aliases into copies, so which
//! templates shared one metadata node (`&id001` ... `*id001`, as PyYAML
//! writes a shared Python object) is lost, and it gives positions only for
//! syntax errors, not for a value of the wrong type found later. Instead the
//! events of `saphyr-parser` (a complete YAML parser: flow style, block
//! literals, comments all work) are assembled into a small node graph that
//! keeps node identity and positions, and that graph is checked against the
//! PromptSource model with PyYAML's (YAML 1.1) scalar resolution.
//!
//! Files as PyYAML writes them (all of PromptSource's) are first tried with
//! the faster line-based reader in [`super::fast`], which builds the same
//! graph; anything else comes here.

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::ScalarStyle;

use super::error::LoadError;
use super::fast;
use super::graph::{general_graph, Graph, Kind, Node, NodeId};
use super::resolve::{
    bool_value, float_value, int_value, resolve_plain, timestamp_value, Implicit,
};
use super::surrogates;
use crate::core::template::{DatasetTemplates, Metadata, Template, Unset, UnsetFields, Value};

const TEMPLATE_TAG: &str = "!Template";
const METADATA_TAG: &str = "!TemplateMetadata";
const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// Parses `text` (the content of `path`) into the model.
pub(crate) fn parse(text: &str, path: &Path) -> Result<DatasetTemplates, LoadError> {
    check_printable(text, path)?;
    let graph = match fast::build_graph(text) {
        Some(graph) => graph,
        None => match surrogates::protect(text) {
            None => general_graph(text, path)?,
            Some((protected, table)) => table.restore(general_graph(&protected, path)?, path)?,
        },
    };
    Checker {
        graph: &graph,
        path,
        expanded: Cell::new(0),
        text_read: Cell::new(0),
        text_limit: 4 * text.len() + (1 << 20),
    }
    .dataset_templates()
}

/// PyYAML's reader refuses control characters (other than tab and line
/// breaks), U+FFFE/U+FFFF and surrogates before parsing; a file PromptSource
/// cannot open must not load here either.
fn check_printable(text: &str, path: &Path) -> Result<(), LoadError> {
    let printable = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if text
        .bytes()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E))
    {
        return Ok(());
    }
    let mut line = 1;
    let mut column = 1;
    for c in text.chars() {
        if !printable(c) {
            return Err(LoadError::at(
                path,
                line,
                column,
                format!(
                    "unacceptable character U+{:04X}: special characters are not allowed",
                    c as u32
                ),
            ));
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Ok(())
}

/// Puts "where" in front of an error about a field.
fn within<T>(what: &str, result: Result<T, LoadError>) -> Result<T, LoadError> {
    result.map_err(|mut error| {
        error.message = format!("{what}: {}", error.message);
        error
    })
}

/// A scalar as PyYAML would construct it.
enum Scalar<'g> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'g str),
    /// In the form PyYAML writes it back.
    Timestamp(String),
}

impl Scalar<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a float",
            Scalar::Str(_) => "a string",
            Scalar::Timestamp(_) => "a timestamp",
        }
    }
}

/// A key of an unknown mapping in a form that hashes as `Value`'s `==`
/// compares: `-0.0` is `0.0`; a NaN equals nothing (`None`), so each is
/// kept as its own entry, as in a Python dict.
#[derive(PartialEq, Eq, Hash)]
enum KeyOf {
    Null,
    Bool(bool),
    Int(i128),
    Float(u64),
    Str(String),
    Timestamp(String),
}

impl KeyOf {
    fn new(value: &Value) -> Option<KeyOf> {
        Some(match value {
            Value::Null => KeyOf::Null,
            Value::Bool(b) => KeyOf::Bool(*b),
            Value::Int(i) => KeyOf::Int(*i),
            Value::Float(f) if f.is_nan() => return None,
            Value::Float(f) => KeyOf::Float(if *f == 0.0 { 0 } else { f.to_bits() }),
            Value::Str(s) => KeyOf::Str(s.clone()),
            Value::Timestamp(s) => KeyOf::Timestamp(s.clone()),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }
}

struct Checker<'g, 'a> {
    graph: &'g Graph<'a>,
    path: &'g Path,
    /// Values built so far for unknown keys and metadata lists. Aliases are expanded into
    /// copies, so a small file of nested aliases ("billion laughs") could
    /// otherwise ask for unbounded memory.
    expanded: Cell<usize>,
    /// Bytes of scalar text read so far, and how many may be.
    text_read: Cell<usize>,
    text_limit: usize,
}

/// More values than any real unknown key holds.
const MAX_EXPANDED_VALUES: usize = 1_000_000;

impl<'g, 'a> Checker<'g, 'a> {
    fn node(&self, id: NodeId) -> &'g Node<'a> {
        &self.graph.nodes[id]
    }

    fn error(&self, id: NodeId, message: String) -> LoadError {
        let node = self.node(id);
        LoadError::at(self.path, node.line, node.column, message)
    }

    fn describe(&self, id: NodeId) -> &'static str {
        match &self.node(id).kind {
            Kind::Seq(_) => "a sequence",
            Kind::Map(_) => "a mapping",
            Kind::Scalar(..) => match self.scalar(id) {
                Ok(scalar) => scalar.type_name(),
                Err(_) => "a scalar",
            },
        }
    }

    fn scalar(&self, id: NodeId) -> Result<Scalar<'g>, LoadError> {
        let node = self.node(id);
        let Kind::Scalar(text, style) = &node.kind else {
            return Err(self.error(
                id,
                format!("expected a scalar, found {}", self.describe(id)),
            ));
        };
        let text: &'g str = text;
        // Text read through aliases is copied each time: bound it by the size
        // of the file, with room for what legitimately shares nodes.
        self.text_read.set(self.text_read.get() + text.len());
        if self.text_read.get() > self.text_limit {
            return Err(self.error(id, "aliases expand to too much text".into()));
        }
        let plain = *style == ScalarStyle::Plain;
        let kind = match node.tag.as_deref() {
            None if plain => resolve_plain(text),
            // `!` alone is YAML's "non-specific" tag: a string.
            None | Some("!") => Implicit::Str,
            Some(tag) => match tag.strip_prefix(CORE_PREFIX) {
                Some("str") => Implicit::Str,
                Some("null") => Implicit::Null,
                Some("bool") => Implicit::Bool,
                Some("int") => Implicit::Int,
                Some("float") => Implicit::Float,
                Some("timestamp") => Implicit::Timestamp,
                _ => return Err(self.error(id, format!("unsupported tag `{tag}` on a scalar"))),
            },
        };
        let invalid = |what: &str| self.error(id, format!("`{text}` is not a valid {what}"));
        Ok(match kind {
            Implicit::Str => Scalar::Str(text),
            Implicit::Null => Scalar::Null,
            Implicit::Bool => Scalar::Bool(bool_value(text).ok_or_else(|| invalid("boolean"))?),
            Implicit::Int => {
                Scalar::Int(int_value(text).ok_or_else(|| invalid("integer (or it is too large)"))?)
            }
            Implicit::Float => Scalar::Float(float_value(text).ok_or_else(|| invalid("float"))?),
            Implicit::Timestamp => {
                Scalar::Timestamp(timestamp_value(text).ok_or_else(|| invalid("timestamp"))?)
            }
            Implicit::Merge => {
                return Err(self.error(id, "merge keys (`<<`) are not supported".into()))
            }
            Implicit::ValueKey => {
                return Err(self.error(
                    id,
                    "could not determine a constructor for the tag 'tag:yaml.org,2002:value'"
                        .into(),
                ))
            }
        })
    }

    /// The entries of a mapping node, checking its tag and that keys are
    /// distinct strings.
    fn mapping(
        &self,
        id: NodeId,
        tag: Option<&str>,
        what: &str,
    ) -> Result<Vec<(&'g str, NodeId)>, LoadError> {
        let node = self.node(id);
        let Kind::Map(entries) = &node.kind else {
            return Err(self.error(
                id,
                format!("{what}: expected a mapping, found {}", self.describe(id)),
            ));
        };
        let found = node
            .tag
            .as_deref()
            .filter(|t| *t != "tag:yaml.org,2002:map");
        if found != tag {
            let message = match (tag, found) {
                (Some(expected), None) => format!("{what}: missing tag `{expected}`"),
                (Some(expected), Some(found)) => {
                    format!("{what}: expected tag `{expected}`, found `{found}`")
                }
                (None, found) => format!("{what}: unexpected tag `{}`", found.unwrap_or("")),
            };
            return Err(self.error(id, message));
        }
        let mut keyed: Vec<(&'g str, NodeId)> = Vec::with_capacity(entries.len());
        let mut seen: HashSet<&'g str> = HashSet::with_capacity(entries.len());
        for &(key, value) in entries {
            let Scalar::Str(name) = self.scalar(key)? else {
                return Err(self.error(
                    key,
                    format!("{what}: keys must be strings, found {}", self.describe(key)),
                ));
            };
            if !seen.insert(name) {
                return Err(self.error(key, format!("{what}: duplicate key `{name}`")));
            }
            keyed.push((name, value));
        }
        Ok(keyed)
    }

    fn string(&self, id: NodeId, field: &str) -> Result<&'g str, LoadError> {
        match self.scalar_of(id, field, "a string")? {
            Scalar::Str(text) => Ok(text),
            other => Err(self.wrong_type(id, field, "a string", other.type_name())),
        }
    }

    fn optional_string(&self, id: NodeId, field: &str) -> Result<Option<&'g str>, LoadError> {
        const EXPECTED: &str = "a string or null";
        match self.scalar_of(id, field, EXPECTED)? {
            Scalar::Str(text) => Ok(Some(text)),
            Scalar::Null => Ok(None),
            other => Err(self.wrong_type(id, field, EXPECTED, other.type_name())),
        }
    }

    fn optional_bool(&self, id: NodeId, field: &str) -> Result<Option<bool>, LoadError> {
        const EXPECTED: &str = "true, false or null";
        match self.scalar_of(id, field, EXPECTED)? {
            Scalar::Bool(value) => Ok(Some(value)),
            Scalar::Null => Ok(None),
            other => Err(self.wrong_type(id, field, EXPECTED, other.type_name())),
        }
    }

    fn wrong_type(&self, id: NodeId, field: &str, expected: &str, found: &str) -> LoadError {
        self.error(id, format!("`{field}` must be {expected}, found {found}"))
    }

    fn scalar_of(&self, id: NodeId, field: &str, expected: &str) -> Result<Scalar<'g>, LoadError> {
        if !matches!(self.node(id).kind, Kind::Scalar(..)) {
            return Err(self.wrong_type(id, field, expected, self.describe(id)));
        }
        self.scalar(id)
    }

    /// A list of strings, or null (which PromptSource's app writes for a
    /// new prompt's metrics): an empty list written as `null`.
    fn optional_string_list(
        &self,
        id: NodeId,
        field: &str,
    ) -> Result<(Vec<String>, Unset), LoadError> {
        let Kind::Seq(items) = &self.node(id).kind else {
            if let Kind::Scalar(..) = self.node(id).kind {
                if let Scalar::Null = self.scalar(id)? {
                    return Ok((Vec::new(), Unset::Null));
                }
            }
            return Err(self.error(
                id,
                format!(
                    "`{field}` must be a list of strings or null, found {}",
                    self.describe(id)
                ),
            ));
        };
        self.count_expanded(id, items.len())?;
        let list = items
            .iter()
            .map(|&item| self.string(item, field).map(str::to_owned))
            .collect::<Result<_, _>>()?;
        Ok((list, Unset::Empty))
    }

    fn count_expanded(&self, id: NodeId, count: usize) -> Result<(), LoadError> {
        self.expanded.set(self.expanded.get() + count);
        if self.expanded.get() > MAX_EXPANDED_VALUES {
            return Err(self.error(
                id,
                format!("aliases expand to more than {MAX_EXPANDED_VALUES} values"),
            ));
        }
        Ok(())
    }

    fn value(&self, id: NodeId) -> Result<Value, LoadError> {
        self.count_expanded(id, 1)?;
        Ok(match &self.node(id).kind {
            Kind::Scalar(..) => match self.scalar(id)? {
                Scalar::Null => Value::Null,
                Scalar::Bool(b) => Value::Bool(b),
                Scalar::Int(i) => Value::Int(i),
                Scalar::Float(f) => Value::Float(f),
                Scalar::Str(s) => Value::Str(s.to_owned()),
                Scalar::Timestamp(s) => Value::Timestamp(s),
            },
            Kind::Seq(items) => {
                if let Some(tag) = self
                    .node(id)
                    .tag
                    .as_deref()
                    .filter(|t| *t != "tag:yaml.org,2002:seq")
                {
                    return Err(self.error(id, format!("unsupported tag `{tag}` on a sequence")));
                }
                Value::Seq(
                    items
                        .iter()
                        .map(|&item| self.value(item))
                        .collect::<Result<_, _>>()?,
                )
            }
            Kind::Map(entries) => {
                if let Some(tag) = self
                    .node(id)
                    .tag
                    .as_deref()
                    .filter(|t| *t != "tag:yaml.org,2002:map")
                {
                    return Err(self.error(id, format!("unsupported tag `{tag}` on a mapping")));
                }
                let mut map: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
                let mut places: HashMap<KeyOf, usize> = HashMap::with_capacity(entries.len());
                for &(key, value) in entries {
                    if !matches!(self.node(key).kind, Kind::Scalar(..)) {
                        return Err(self.error(key, "found unhashable key".into()));
                    }
                    let key_value = self.value(key)?;
                    let value = self.value(value)?;
                    // A repeated key replaces the value but keeps its place,
                    // as assigning into a Python dict does.
                    match KeyOf::new(&key_value) {
                        Some(hashable) => match places.entry(hashable) {
                            Entry::Occupied(place) => map[*place.get()].1 = value,
                            Entry::Vacant(place) => {
                                place.insert(map.len());
                                map.push((key_value, value));
                            }
                        },
                        None => map.push((key_value, value)),
                    }
                }
                Value::Map(map)
            }
        })
    }

    fn dataset_templates(&self) -> Result<DatasetTemplates, LoadError> {
        let root = self.graph.root;
        let entries = self.mapping(root, None, "top level")?;
        let mut dataset = None;
        let mut subset = None;
        let mut templates_node = None;
        let mut extra = Vec::new();
        for (key, value) in entries {
            match key {
                "dataset" => dataset = Some(self.string(value, "dataset")?.to_owned()),
                "subset" => subset = Some(self.string(value, "subset")?.to_owned()),
                "templates" => templates_node = Some(value),
                _ => extra.push((key.to_owned(), self.value(value)?)),
            }
        }
        let missing = |field: &str| self.error(root, format!("missing field `{field}`"));
        let dataset = dataset.ok_or_else(|| missing("dataset"))?;
        let templates_node = templates_node.ok_or_else(|| missing("templates"))?;

        let mut templates = Vec::new();
        // Metadata node -> ids of the templates that use it, for anchors, in
        // order of first use.
        let mut metadata_users: Vec<(NodeId, Vec<Arc<str>>)> = Vec::new();
        let mut users_of: HashMap<NodeId, usize> = HashMap::new();
        for (key, template_node) in self.mapping(templates_node, None, "templates")? {
            let (template, metadata_node) = self.template(key, template_node)?;
            match users_of.entry(metadata_node) {
                Entry::Occupied(place) => metadata_users[*place.get()].1.push(template.id.clone()),
                Entry::Vacant(place) => {
                    place.insert(metadata_users.len());
                    metadata_users.push((metadata_node, vec![template.id.clone()]));
                }
            }
            templates.push(template);
        }
        let shared_metadata = metadata_users
            .into_iter()
            .map(|(_, users)| users)
            .filter(|users| users.len() > 1)
            .collect();

        Ok(DatasetTemplates {
            path: self.path.to_path_buf(),
            dataset,
            subset,
            templates,
            extra,
            shared_metadata,
            fingerprint: None,
        })
    }

    fn template(&self, key: &str, id: NodeId) -> Result<(Template, NodeId), LoadError> {
        let what = format!("template `{key}`");
        let mut answer_choices = None;
        let mut template_id = None;
        let mut jinja = None;
        let mut metadata = None;
        let mut name = None;
        let mut reference = None;
        let mut extra = Vec::new();
        for (field, value) in self.mapping(id, Some(TEMPLATE_TAG), &what)? {
            if field == "metadata" {
                metadata = Some((self.metadata(value, key)?, value));
                continue;
            }
            let read = match field {
                "answer_choices" => self
                    .optional_string(value, field)
                    .map(|text| answer_choices = Some(text)),
                "id" => self
                    .string(value, field)
                    .map(|text| template_id = Some((text, value))),
                "jinja" => self.string(value, field).map(|text| jinja = Some(text)),
                "name" => self.string(value, field).map(|text| name = Some(text)),
                "reference" => self.string(value, field).map(|text| reference = Some(text)),
                _ => self.value(value).map(|v| extra.push((field.to_owned(), v))),
            };
            within(&what, read)?;
        }
        let missing = |field: &str| self.error(id, format!("{what}: missing field `{field}`"));
        let (template_id, id_node) = template_id.ok_or_else(|| missing("id"))?;
        if template_id != key {
            return Err(self.error(
                id_node,
                format!("{what}: its `id` is `{template_id}`, which differs from its key"),
            ));
        }
        let (metadata, metadata_node) = metadata.ok_or_else(|| missing("metadata"))?;
        let template = Template {
            id: template_id.into(),
            name: name.ok_or_else(|| missing("name"))?.into(),
            jinja: jinja.ok_or_else(|| missing("jinja"))?.into(),
            reference: reference.ok_or_else(|| missing("reference"))?.into(),
            answer_choices: answer_choices
                .ok_or_else(|| missing("answer_choices"))?
                .map(Arc::from),
            metadata,
            extra,
        };
        Ok((template, metadata_node))
    }

    fn metadata(&self, id: NodeId, template_key: &str) -> Result<Metadata, LoadError> {
        let what = format!("template `{template_key}`: metadata");
        // A key the file lacks stays unset and unwritten, as PromptSource's
        // object simply lacks the attribute.
        let mut metadata = Metadata {
            unset: UnsetFields {
                original_task: Unset::Missing,
                choices_in_prompt: Unset::Missing,
                metrics: Unset::Missing,
                languages: Unset::Missing,
            },
            ..Metadata::default()
        };
        for (field, value) in self.mapping(id, Some(METADATA_TAG), &what)? {
            let read = match field {
                "original_task" => self.optional_bool(value, field).map(|flag| {
                    metadata.original_task = flag;
                    metadata.unset.original_task = Unset::Empty;
                }),
                "choices_in_prompt" => self.optional_bool(value, field).map(|flag| {
                    metadata.choices_in_prompt = flag;
                    metadata.unset.choices_in_prompt = Unset::Empty;
                }),
                "metrics" => self.optional_string_list(value, field).map(|list| {
                    (metadata.metrics, metadata.unset.metrics) = list;
                }),
                "languages" => self.optional_string_list(value, field).map(|list| {
                    (metadata.languages, metadata.unset.languages) = list;
                }),
                _ => self
                    .value(value)
                    .map(|v| metadata.extra.push((field.to_owned(), v))),
            };
            within(&what, read)?;
        }
        Ok(metadata)
    }
}
