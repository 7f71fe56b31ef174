//! The same render through the `minijinja` crate, set up as Rust inference
//! servers (text-generation-inference, mistral.rs) set it up: pycompat
//! methods, `trim_blocks`/`lstrip_blocks`, loop controls, `raise_exception`
//! and `strftime_now`, everything else minijinja's own (its HTML-escaping
//! `tojson`, no `{% generation %}`). It shows what such a server would send
//! the model; transformers' rendering is [`super::ChatTemplate`]'s.

use std::fmt;

use minijinja::{Environment, ErrorKind as MiniKind, Value};

use super::{ChatError, Conversation, ErrorKind, RenderOptions, WallTime};

const NAME: &str = "chat_template";

/// A chat template compiled by minijinja.
pub struct MiniTemplate {
    env: Environment<'static>,
}

impl fmt::Debug for MiniTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiniTemplate").finish_non_exhaustive()
    }
}

/// Carries a `raise_exception(msg)` through minijinja's error chain, so it
/// is told apart from minijinja's own errors of the same kind.
#[derive(Debug)]
struct Raised(String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

impl MiniTemplate {
    /// Compiles `source`; `now` freezes `strftime_now` (else the local clock).
    pub fn compile(source: &str, now: Option<WallTime>) -> Result<MiniTemplate, ChatError> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(classify)?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<Value, minijinja::Error> {
                Err(
                    minijinja::Error::new(MiniKind::InvalidOperation, message.clone())
                        .with_source(Raised(message)),
                )
            },
        );
        env.add_function("strftime_now", move |format: String| {
            super::strftime(&format, &now.unwrap_or_else(WallTime::local_now))
        });
        env.add_template_owned(NAME, source.to_string())
            .map_err(classify)?;
        Ok(MiniTemplate { env })
    }

    pub fn render(
        &self,
        conversation: &Conversation,
        options: &RenderOptions,
    ) -> Result<String, ChatError> {
        let template = self.env.get_template(NAME).map_err(classify)?;
        let mut context: Vec<(String, Value)> = vec![
            ("messages".into(), json_value(&conversation.messages)),
            (
                "tools".into(),
                conversation
                    .tools
                    .as_ref()
                    .map_or(Value::from(()), json_value),
            ),
            ("documents".into(), Value::from(())),
            (
                "add_generation_prompt".into(),
                Value::from(options.add_generation_prompt),
            ),
        ];
        for (name, token) in &options.special_tokens {
            context.retain(|(n, _)| n != name);
            context.push((name.clone(), Value::from(token.as_str())));
        }
        template
            .render(Value::from_pairs(context))
            .map_err(classify)
    }
}

/// A JSON value as minijinja sees a deserialized Python object.
fn json_value(json: &serde_json::Value) -> Value {
    use serde_json::Value as Json;
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(json_value).collect::<Vec<_>>()),
        Json::Object(object) => {
            Value::from_pairs(object.iter().map(|(k, v)| (k.as_str(), json_value(v))))
        }
    }
}

fn classify(error: minijinja::Error) -> ChatError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(Raised(message)) = cause.downcast_ref::<Raised>() {
            return ChatError {
                kind: ErrorKind::RaiseException,
                type_name: "raise_exception".to_string(),
                message: message.clone(),
                line: error.line(),
            };
        }
        source = cause.source();
    }
    let kind = match error.kind() {
        MiniKind::SyntaxError => ErrorKind::Syntax,
        MiniKind::UndefinedError => ErrorKind::Undefined,
        _ => ErrorKind::InvalidOperation,
    };
    ChatError {
        kind,
        type_name: format!("{:?}", error.kind()),
        message: error
            .detail()
            .map_or_else(|| error.kind().to_string(), str::to_string),
        line: error.line(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_a_rust_server_would() {
        let conversation = Conversation::from_json(serde_json::json!([
            {"role": "user", "content": "<é>"}
        ]))
        .unwrap();
        let options = RenderOptions {
            add_generation_prompt: true,
            special_tokens: vec![("bos_token".into(), "<s>".into())],
            now: WallTime::parse_rfc3339("2026-01-15T12:00:00Z"),
        };
        let template = MiniTemplate::compile(
            "{{ bos_token }}{% for m in messages %}\n{{ m.content | tojson }}{{ m.role.upper() }}\n{% endfor %}\n{{ strftime_now('%Y') }}",
            options.now,
        )
        .unwrap();
        // minijinja's tojson escapes HTML characters; transformers' does not.
        assert_eq!(
            template.render(&conversation, &options).unwrap(),
            "<s>\"\\u003cé\\u003e\"USER\n2026"
        );
        let raised = MiniTemplate::compile("{{ raise_exception('no') }}", None)
            .unwrap()
            .render(&conversation, &options)
            .unwrap_err();
        assert_eq!(
            (raised.kind, raised.message.as_str()),
            (ErrorKind::RaiseException, "no")
        );
        let syntax =
            MiniTemplate::compile("{% generation %}x{% endgeneration %}", None).unwrap_err();
        assert_eq!(syntax.kind, ErrorKind::Syntax);
    }
}
