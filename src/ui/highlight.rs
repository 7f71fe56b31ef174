//! Jinja highlighting through syntect, with the project's own
//! `assets/jinja.sublime-syntax` (syntect ships none). The syntax set is
//! built once, on first use; results are cached per text so redraws that do
//! not change the template cost nothing.

use std::cell::RefCell;
use std::sync::OnceLock;

use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};

const JINJA_SYNTAX: &str = include_str!("../../assets/jinja.sublime-syntax");

/// What a piece of template text is, named as the theme's `jinja.*` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Text,
    Delimiter,
    Keyword,
    Variable,
    String,
    Number,
    Operator,
    Filter,
    Comment,
    Separator,
}

impl Class {
    pub fn theme_key(self) -> &'static str {
        match self {
            Class::Text => "jinja.text",
            Class::Delimiter => "jinja.delimiter",
            Class::Keyword => "jinja.keyword",
            Class::Variable => "jinja.variable",
            Class::String => "jinja.string",
            Class::Number => "jinja.number",
            Class::Operator => "jinja.operator",
            Class::Filter => "jinja.filter",
            Class::Comment => "jinja.comment",
            Class::Separator => "jinja.separator",
        }
    }

    /// Classifies by the innermost scope that says something.
    fn of(stack: &ScopeStack) -> Class {
        for scope in stack.as_slice().iter().rev() {
            let name = scope.build_string();
            let class = if name.starts_with("keyword.operator.separator") {
                Class::Separator
            } else if name.starts_with("comment")
                || name.starts_with("punctuation.definition.comment")
            {
                Class::Comment
            } else if name.starts_with("string")
                || name.starts_with("punctuation.definition.string")
            {
                Class::String
            } else if name.starts_with("punctuation.section.embedded") {
                Class::Delimiter
            } else if name.starts_with("keyword.control")
                || name.starts_with("keyword.operator.word")
            {
                Class::Keyword
            } else if name.starts_with("support.function") {
                Class::Filter
            } else if name.starts_with("keyword.operator") {
                Class::Operator
            } else if name.starts_with("constant") {
                Class::Number
            } else if name.starts_with("variable") {
                Class::Variable
            } else {
                continue;
            };
            return class;
        }
        Class::Text
    }
}

/// One highlighted piece of a line: a byte range and its class.
pub type Token = (std::ops::Range<usize>, Class);

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut builder = SyntaxSetBuilder::new();
        // The syntax ships inside the binary and a unit test parses it, so a
        // failure here is a build defect; fall back to no highlighting anyway.
        if let Ok(definition) = SyntaxDefinition::load_from_str(JINJA_SYNTAX, true, None) {
            builder.add(definition);
        }
        builder.build()
    })
}

/// Tokens of every line of a template.
pub type Highlighted = std::rc::Rc<Vec<Vec<Token>>>;

/// Highlights whole templates, remembering the last one.
#[derive(Default)]
pub struct Highlighter {
    cache: RefCell<Option<(String, Highlighted)>>,
}

impl Highlighter {
    pub fn highlight(&self, lines: &[String]) -> Highlighted {
        let text = lines.join("\n");
        if let Some((cached, tokens)) = self.cache.borrow().as_ref() {
            if *cached == text {
                return tokens.clone();
            }
        }
        let tokens = std::rc::Rc::new(highlight_lines(lines));
        *self.cache.borrow_mut() = Some((text, tokens.clone()));
        tokens
    }
}

/// Tokens per line; text the parser rejects stays plain.
pub fn highlight_lines(lines: &[String]) -> Vec<Vec<Token>> {
    let set = syntax_set();
    let Some(syntax) = set.find_syntax_by_name("Jinja (PromptSource)") else {
        return lines
            .iter()
            .map(|l| vec![(0..l.len(), Class::Text)])
            .collect();
    };
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let with_newline = format!("{line}\n");
        let Ok(ops) = state.parse_line(&with_newline, set) else {
            out.push(vec![(0..line.len(), Class::Text)]);
            continue;
        };
        let mut tokens: Vec<Token> = Vec::new();
        let mut start = 0;
        for (offset, op) in ops {
            let offset = offset.min(line.len());
            if offset > start {
                push_token(&mut tokens, start..offset, Class::of(&stack));
                start = offset;
            }
            if stack.apply(&op).is_err() {
                break;
            }
        }
        if start < line.len() {
            push_token(&mut tokens, start..line.len(), Class::of(&stack));
        }
        out.push(tokens);
    }
    out
}

fn push_token(tokens: &mut Vec<Token>, range: std::ops::Range<usize>, class: Class) {
    if let Some((last, last_class)) = tokens.last_mut() {
        if *last_class == class && last.end == range.start {
            last.end = range.end;
            return;
        }
    }
    tokens.push((range, class));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(line: &str) -> Vec<(String, Class)> {
        highlight_lines(&[line.to_owned()])[0]
            .iter()
            .map(|(range, class)| (line[range.clone()].to_owned(), *class))
            .collect()
    }

    #[test]
    fn the_syntax_loads() {
        assert!(syntax_set()
            .find_syntax_by_name("Jinja (PromptSource)")
            .is_some());
    }

    #[test]
    fn classifies_the_parts_of_a_template() {
        let tokens = classes("Q: {{ question | lower }} {% if x == 'a' %}|||{# note #}");
        let find = |text: &str| {
            tokens
                .iter()
                .find(|(t, _)| t.trim() == text)
                .map(|(_, c)| *c)
        };
        assert_eq!(find("Q:"), Some(Class::Text));
        assert_eq!(find("{{"), Some(Class::Delimiter));
        assert_eq!(find("question"), Some(Class::Variable));
        assert_eq!(find("lower"), Some(Class::Filter));
        assert_eq!(find("if"), Some(Class::Keyword));
        assert_eq!(find("'a'"), Some(Class::String));
        assert_eq!(find("|||"), Some(Class::Separator));
        assert_eq!(find("{# note #}"), Some(Class::Comment));
    }

    #[test]
    fn comments_span_lines() {
        let lines = vec!["{# a".to_owned(), "b #} {{ c }}".to_owned()];
        let tokens = highlight_lines(&lines);
        assert_eq!(tokens[1][0], (0..4, Class::Comment));
    }
}
