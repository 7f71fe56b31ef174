//! The model as PyYAML's representer sees the Python objects PromptSource
//! dumps: a dict `{dataset, subset, templates}`, `Template` and
//! `TemplateMetadata` objects written as tagged mappings of their attributes,
//! every mapping's keys sorted, and one node for metadata that was one
//! object (so that the serializer gives it an anchor).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use super::emit::{emit, NodeId, OutNode, OutScalar};
use super::resolve::{resolve_plain, Implicit};
use crate::core::template::{DatasetTemplates, Metadata, Template, Unset, Value};

pub(crate) fn to_yaml(file: &DatasetTemplates) -> String {
    let mut representer = Representer { nodes: Vec::new() };
    let root = representer.dataset_templates(file);
    emit(&representer.nodes, root)
}

struct Representer<'a> {
    nodes: Vec<OutNode<'a>>,
}

impl<'a> Representer<'a> {
    fn push(&mut self, node: OutNode<'a>) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn str(&mut self, text: &'a str) -> NodeId {
        self.push(OutNode::Scalar(OutScalar {
            value: Cow::Borrowed(text),
            tag: "!!str",
            plain_implicit: resolve_plain(text) == Implicit::Str,
            quoted_implicit: true,
        }))
    }

    /// A non-string scalar in its canonical text, which resolves back to its type.
    fn typed_scalar(&mut self, text: String, tag: &'static str) -> NodeId {
        self.push(OutNode::Scalar(OutScalar {
            value: Cow::Owned(text),
            tag,
            plain_implicit: true,
            quoted_implicit: false,
        }))
    }

    fn null(&mut self) -> NodeId {
        self.typed_scalar("null".into(), "!!null")
    }

    fn bool(&mut self, value: bool) -> NodeId {
        self.typed_scalar(if value { "true" } else { "false" }.into(), "!!bool")
    }

    fn optional_bool(&mut self, value: Option<bool>) -> NodeId {
        match value {
            Some(value) => self.bool(value),
            None => self.null(),
        }
    }

    fn str_list(&mut self, items: &'a [String]) -> NodeId {
        let items = items.iter().map(|item| self.str(item)).collect();
        self.push(OutNode::Seq(items))
    }

    /// A mapping with string keys, sorted as Python sorts them (by code
    /// point, which is UTF-8 byte order).
    fn sorted_map(
        &mut self,
        tag: Option<&'static str>,
        mut entries: Vec<(&'a str, NodeId)>,
    ) -> NodeId {
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let entries = entries
            .into_iter()
            .map(|(key, value)| (self.str(key), value))
            .collect();
        self.push(OutNode::Map(tag, entries))
    }

    /// Known fields plus the unknown ones whose names do not collide with
    /// them (unknown names are distinct among themselves: they were keys of
    /// one mapping).
    fn with_extra(
        &mut self,
        mut known: Vec<(&'a str, NodeId)>,
        extra: &'a [(String, Value)],
    ) -> Vec<(&'a str, NodeId)> {
        let known_count = known.len();
        for (key, value) in extra {
            if !known[..known_count].iter().any(|(name, _)| name == key) {
                let value = self.value(value);
                known.push((key, value));
            }
        }
        known
    }

    fn dataset_templates(&mut self, file: &'a DatasetTemplates) -> NodeId {
        let dataset = self.str(&file.dataset);
        let mut top = vec![("dataset", dataset)];
        if let Some(subset) = &file.subset {
            let subset = self.str(subset);
            top.push(("subset", subset));
        }
        let shared = self.shared_metadata(file);
        let mut templates: Vec<&'a Template> = file.templates.iter().collect();
        templates.sort_by(|a, b| a.id.cmp(&b.id));
        let mut entries = Vec::with_capacity(templates.len());
        for template in templates {
            let metadata = match shared.get(&*template.id) {
                Some(&node) => node,
                None => self.metadata(&template.metadata),
            };
            let node = self.template(template, metadata);
            entries.push((&*template.id, node));
        }
        let templates = self.sorted_map(None, entries);
        top.push(("templates", templates));
        let top = self.with_extra(top, &file.extra);
        self.sorted_map(None, top)
    }

    /// One metadata node per group of templates that shared metadata when
    /// loaded and still have equal metadata. A group whose members were
    /// edited apart splits into the members that are still equal.
    fn shared_metadata(&mut self, file: &'a DatasetTemplates) -> HashMap<&'a str, NodeId> {
        let mut shared = HashMap::new();
        if file.shared_metadata.is_empty() {
            return shared;
        }
        let by_id: HashMap<&str, &'a Template> =
            file.templates.iter().map(|t| (&*t.id, t)).collect();
        for group in &file.shared_metadata {
            let mut in_group = HashSet::new();
            let mut members: Vec<&'a Template> = Vec::new();
            for id in group {
                if let Some(&template) = by_id.get(&**id) {
                    if !shared.contains_key(&*template.id) && in_group.insert(&*template.id) {
                        members.push(template);
                    }
                }
            }
            // Each round takes the members equal to the first; a group
            // edited into k different metadata takes k rounds.
            while let Some((&first, others)) = members.split_first() {
                let (same, rest): (Vec<&Template>, Vec<&Template>) = others
                    .iter()
                    .partition(|m| same_metadata(&m.metadata, &first.metadata));
                if !same.is_empty() {
                    let node = self.metadata(&first.metadata);
                    shared.insert(&*first.id, node);
                    for member in same {
                        shared.insert(&*member.id, node);
                    }
                }
                members = rest;
            }
        }
        shared
    }

    fn template(&mut self, template: &'a Template, metadata: NodeId) -> NodeId {
        let answer_choices = match &template.answer_choices {
            Some(text) => self.str(text),
            None => self.null(),
        };
        let id = self.str(&template.id);
        let jinja = self.str(&template.jinja);
        let name = self.str(&template.name);
        let reference = self.str(&template.reference);
        let known = vec![
            ("answer_choices", answer_choices),
            ("id", id),
            ("jinja", jinja),
            ("metadata", metadata),
            ("name", name),
            ("reference", reference),
        ];
        let entries = self.with_extra(known, &template.extra);
        self.sorted_map(Some("!Template"), entries)
    }

    /// The attributes PromptSource's object has: an unset field as the file
    /// had it (see [`Unset`]).
    fn metadata(&mut self, metadata: &'a Metadata) -> NodeId {
        let unset = &metadata.unset;
        let mut known = Vec::with_capacity(4);
        if let Some(node) = self.optional_flag(metadata.choices_in_prompt, unset.choices_in_prompt)
        {
            known.push(("choices_in_prompt", node));
        }
        if let Some(node) = self.optional_str_list(&metadata.languages, unset.languages) {
            known.push(("languages", node));
        }
        if let Some(node) = self.optional_str_list(&metadata.metrics, unset.metrics) {
            known.push(("metrics", node));
        }
        if let Some(node) = self.optional_flag(metadata.original_task, unset.original_task) {
            known.push(("original_task", node));
        }
        let entries = self.with_extra(known, &metadata.extra);
        self.sorted_map(Some("!TemplateMetadata"), entries)
    }

    fn optional_flag(&mut self, value: Option<bool>, unset: Unset) -> Option<NodeId> {
        match (value, unset) {
            (None, Unset::Missing) => None,
            (value, _) => Some(self.optional_bool(value)),
        }
    }

    fn optional_str_list(&mut self, items: &'a [String], unset: Unset) -> Option<NodeId> {
        match unset {
            _ if !items.is_empty() => Some(self.str_list(items)),
            Unset::Empty => Some(self.str_list(items)),
            Unset::Null => Some(self.null()),
            Unset::Missing => None,
        }
    }

    fn value(&mut self, value: &'a Value) -> NodeId {
        match value {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.typed_scalar(i.to_string(), "!!int"),
            Value::Float(f) => self.typed_scalar(python_float_text(*f), "!!float"),
            Value::Str(s) => self.str(s),
            Value::Timestamp(s) => self.typed_scalar(s.clone(), "!!timestamp"),
            Value::Seq(items) => {
                let items = items.iter().map(|item| self.value(item)).collect();
                self.push(OutNode::Seq(items))
            }
            Value::Map(entries) => {
                let mut entries: Vec<&'a (Value, Value)> = entries.iter().collect();
                if let Some(order) = python_sort_order(&entries) {
                    entries.sort_by(|a, b| order(&a.0, &b.0));
                }
                let entries = entries
                    .into_iter()
                    .map(|(key, value)| (self.value(key), self.value(value)))
                    .collect();
                self.push(OutNode::Map(None, entries))
            }
        }
    }
}

/// Whether metadata loaded as one object still holds the same values. Unlike
/// `==`, a NaN matches itself: it was one value in one object.
fn same_metadata(a: &Metadata, b: &Metadata) -> bool {
    a.original_task == b.original_task
        && a.choices_in_prompt == b.choices_in_prompt
        && a.metrics == b.metrics
        && a.languages == b.languages
        && a.unset == b.unset
        && a.extra.len() == b.extra.len()
        && a.extra
            .iter()
            .zip(&b.extra)
            .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Seq(xs), Value::Seq(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_value(x, y))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((kx, vx), (ky, vy))| same_value(kx, ky) && same_value(vx, vy))
        }
        _ => a == b,
    }
}

type KeyOrder = fn(&Value, &Value) -> Ordering;

/// How Python's `sorted` would order these keys, or `None` where it raises
/// `TypeError` (mixed types, `None`), in which case PyYAML keeps dict order.
fn python_sort_order(entries: &[&(Value, Value)]) -> Option<KeyOrder> {
    let as_number = |v: &Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        // Exact enough for ordering keys; precision past 2^53 is irrelevant here.
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    if entries.iter().all(|(k, _)| matches!(k, Value::Str(_))) {
        Some(|a, b| match (a, b) {
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            _ => Ordering::Equal,
        })
    } else if entries
        .iter()
        .all(|(k, _)| matches!(k, Value::Timestamp(_)))
    {
        Some(|a, b| match (a, b) {
            (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            _ => Ordering::Equal,
        })
    } else if entries.iter().all(|(k, _)| as_number(k).is_some()) {
        Some(|a, b| {
            let number = |v: &Value| match v {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => 0.0,
            };
            number(a).partial_cmp(&number(b)).unwrap_or(Ordering::Equal)
        })
    } else {
        None
    }
}

/// A float as PyYAML writes it: Python's `repr` (shortest round-trip digits,
/// exponent form below 1e-4 and from 1e16), lower-cased, with `.0` added to
/// a mantissa without a point, and `.nan`, `.inf`, `-.inf`.
pub(crate) fn python_float_text(value: f64) -> String {
    if value.is_nan() {
        return ".nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            let (int_part, frac_part) = if digits.len() > int_len {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            } else {
                (format!("{digits:0<int_len$}"), "0".to_string())
            };
            format!("{sign}{int_part}.{frac_part}")
        } else {
            let zeros = "0".repeat((-exponent - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}.{rest}e{exponent_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float_text;

    #[test]
    fn floats_print_as_pyyaml_prints_python_floats() {
        let cases = [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e-4, "0.0001"),
            (1.5e-5, "1.5e-05"),
            (1e16, "1.0e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e300, "1.0e+300"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
            (f64::NAN, ".nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(python_float_text(value), expected, "{value}");
        }
    }
}
