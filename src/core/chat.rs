//! Hugging Face chat templates rendered as `transformers` renders them
//! (`apply_chat_template(tokenize=False)`): our Jinja engine in its
//! chat-template mode, the conversation preprocessed as transformers does,
//! and errors classified into the kinds a user can act on.

pub mod minijinja_env;
pub mod probes;
pub mod source;
pub mod tokens;

use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::core::jinja::{Context, Exc, Mode, Program, Value};
use crate::core::py::random::PyRandom;

pub use crate::core::jinja::chat_env::{strftime, WallTime};

/// Why a chat template did not render, in the classes users act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template called `raise_exception(msg)` (it refuses the conversation).
    RaiseException,
    /// Attribute or item access on an undefined value.
    Undefined,
    /// A type error, an unknown filter, an assignment on a non-namespace, ...
    InvalidOperation,
    /// An operation the immutable sandbox refuses (`list.append`).
    Security,
    /// The template does not parse.
    Syntax,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::RaiseException => "raise_exception",
            ErrorKind::Undefined => "undefined",
            ErrorKind::InvalidOperation => "invalid_operation",
            ErrorKind::Security => "security",
            ErrorKind::Syntax => "syntax",
        }
    }
}

/// A failed compile or render: the kind, the Python exception class
/// (`type_name`) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatError {
    pub kind: ErrorKind,
    pub type_name: String,
    pub message: String,
    pub line: Option<usize>,
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name, self.message)?;
        if let Some(line) = self.line {
            write!(f, " (template line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ChatError {}

impl ChatError {
    fn from_exc(exc: Exc) -> ChatError {
        use crate::core::jinja::ExcKind;
        let kind = match exc.kind {
            ExcKind::Template => ErrorKind::RaiseException,
            ExcKind::Undefined => ErrorKind::Undefined,
            ExcKind::Security => ErrorKind::Security,
            _ if crate::core::jinja::chat_env::is_stray_loop_signal(&exc) => ErrorKind::Syntax,
            _ => ErrorKind::InvalidOperation,
        };
        let type_name = if kind == ErrorKind::Syntax {
            "TemplateSyntaxError".to_string()
        } else {
            exc.kind.to_string()
        };
        ChatError {
            kind,
            type_name,
            message: exc.message,
            line: exc.line,
        }
    }
}

/// A compiled chat template (thread-safe; compile once, render many times).
#[derive(Debug)]
pub struct ChatTemplate {
    program: Program,
}

impl ChatTemplate {
    pub fn compile(source: &str) -> Result<ChatTemplate, ChatError> {
        let program = Program::compile_in(source, Mode::ChatTemplate).map_err(|e| ChatError {
            kind: ErrorKind::Syntax,
            type_name: "TemplateSyntaxError".to_string(),
            message: e.message,
            line: Some(e.line),
        })?;
        Ok(ChatTemplate { program })
    }

    /// Renders `conversation` with the variables transformers passes.
    pub fn render(
        &self,
        conversation: &Conversation,
        options: &RenderOptions,
    ) -> Result<String, ChatError> {
        let mut vars: Vec<(Arc<str>, Value)> = Vec::with_capacity(6 + options.special_tokens.len());
        vars.push((Arc::from("messages"), json_value(&conversation.messages)));
        vars.push((
            Arc::from("tools"),
            conversation.tools.as_ref().map_or(Value::None, json_value),
        ));
        vars.push((Arc::from("documents"), Value::None));
        vars.push((
            Arc::from("add_generation_prompt"),
            Value::Bool(options.add_generation_prompt),
        ));
        for (name, token) in &options.special_tokens {
            vars.push((
                Arc::from(name.as_str()),
                Value::Str(Arc::from(token.as_str())),
            ));
        }
        let context = ChatContext {
            vars,
            now: options.now,
        };
        // Jinja2's `random` filter draws from Python's global generator;
        // the generator is seeded lazily, so renders that never draw pay nothing.
        let mut rng = PyRandom::from_entropy();
        let mut out = String::new();
        self.program
            .render(&context, &[], &mut rng, &mut out, None)
            .map_err(ChatError::from_exc)?;
        Ok(out)
    }
}

/// The variables of a render other than the conversation.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub add_generation_prompt: bool,
    /// `bos_token`, `eos_token` and the other special tokens, in order; a
    /// later entry with the same name wins.
    pub special_tokens: Vec<(String, String)>,
    /// Freezes `strftime_now`'s clock at this wall time.
    pub now: Option<WallTime>,
}

struct ChatContext {
    vars: Vec<(Arc<str>, Value)>,
    now: Option<WallTime>,
}

impl Context for ChatContext {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v.clone())
    }

    fn now(&self) -> WallTime {
        self.now.unwrap_or_else(WallTime::local_now)
    }
}

/// A conversation after transformers' preprocessing.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    messages: Json,
    tools: Option<Json>,
}

impl Conversation {
    /// Reads `{"messages": [...], "tools": [...]}` (tools optional; a bare
    /// list of messages is accepted too). Every message must be an object
    /// with a string `role`; the error says which one is not.
    pub fn from_json(value: Json) -> Result<Conversation, String> {
        let (messages, tools) = match value {
            Json::Array(messages) => (messages, None),
            Json::Object(mut object) => {
                let Some(messages) = object.remove("messages") else {
                    return Err("expected an object with \"messages\" (a list of {\"role\", \"content\"} messages)".to_string());
                };
                let Json::Array(messages) = messages else {
                    return Err(
                        "\"messages\" must be a list of {\"role\", \"content\"} messages"
                            .to_string(),
                    );
                };
                let tools = match object.remove("tools") {
                    None | Some(Json::Null) => None,
                    Some(tools @ Json::Array(_)) => Some(tools),
                    Some(_) => return Err("\"tools\" must be a list".to_string()),
                };
                (messages, tools)
            }
            _ => {
                return Err(
                    "expected {\"messages\": [...]} or a list of {\"role\", \"content\"} messages"
                        .to_string(),
                )
            }
        };
        let messages = messages
            .into_iter()
            .enumerate()
            .map(|(i, message)| preprocess_message(i, message))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Conversation {
            messages: Json::Array(messages),
            tools,
        })
    }

    /// The conversation of `messages` alone (already role/content objects).
    pub fn messages(&self) -> &[Json] {
        self.messages.as_array().map_or(&[], Vec::as_slice)
    }

    pub fn tools(&self) -> Option<&Json> {
        self.tools.as_ref()
    }
}

/// transformers drops the keys whose value is null, and copies a message's
/// reasoning text to both `thinking` and `reasoning_content`.
fn preprocess_message(index: usize, message: Json) -> Result<Json, String> {
    let Json::Object(object) = message else {
        return Err(format!(
            "message {index} is not an object with \"role\" and \"content\""
        ));
    };
    match object.get("role") {
        Some(Json::String(_)) => {}
        Some(_) => return Err(format!("message {index}: \"role\" must be a string")),
        None => return Err(format!("message {index} has no \"role\"")),
    }
    let mut object: serde_json::Map<String, Json> =
        object.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let reasoning = ["reasoning_content", "thinking", "reasoning"]
        .iter()
        .find_map(|key| object.get(*key).cloned());
    if let Some(reasoning) = reasoning {
        object.insert("thinking".to_string(), reasoning.clone());
        object.insert("reasoning_content".to_string(), reasoning);
    }
    Ok(Json::Object(object))
}

/// A JSON value as the template sees it (a Python object from `json.loads`).
pub(crate) fn json_value(json: &Json) -> Value {
    use crate::core::jinja::chat_env::{dict_from_pairs, list_from};
    match json {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(Arc::from(s.as_str())),
        Json::Array(items) => list_from(items.iter().map(json_value).collect()),
        Json::Object(object) => dict_from_pairs(
            object
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), json_value(v))),
        ),
    }
}

#[cfg(test)]
mod tests;
