use super::*;

fn render(source: &str, conversation: serde_json::Value) -> Result<String, ChatError> {
    let template = ChatTemplate::compile(source)?;
    let conversation = Conversation::from_json(conversation).expect("conversation");
    template.render(
        &conversation,
        &RenderOptions {
            add_generation_prompt: true,
            special_tokens: vec![("bos_token".into(), "<s>".into())],
            now: WallTime::parse_rfc3339("2026-01-15T12:00:00Z"),
        },
    )
}

fn hello() -> serde_json::Value {
    serde_json::json!({"messages": [{"role": "user", "content": "hi <&'é>", "name": null}]})
}

#[test]
fn blocks_trim_and_lstrip_but_expressions_do_not() {
    let source = "{% for m in messages %}\n    {% if m.role %}\n  {{ m.role }}\n    {% endif %}\n{% endfor %}\n";
    assert_eq!(render(source, hello()).unwrap(), "  user\n");
}

#[test]
fn tojson_is_json_dumps_without_html_escaping() {
    let source = "{{ messages[0] | tojson }}|{{ messages[0] | tojson(indent=1, sort_keys=true, ensure_ascii=true) }}|{{ [1, 2] | tojson(separators=(',', ':')) }}";
    assert_eq!(
        render(source, hello()).unwrap(),
        "{\"role\": \"user\", \"content\": \"hi <&'é>\"}|{\n \"content\": \"hi <&'\\u00e9>\",\n \"role\": \"user\"\n}|[1,2]"
    );
}

#[test]
fn loop_controls_and_generation_blocks() {
    let source = "{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{% generation %}{{ i }}{% endgeneration %}{% endfor %}";
    assert_eq!(render(source, hello()).unwrap(), "02");
}

#[test]
fn the_sandbox_is_immutable() {
    let error = render("{% set xs = [] %}{{ xs.append(1) }}", hello()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Security);
    let error = render("{% set x = {} %}{% set x.a = 1 %}", hello()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidOperation);
}

#[test]
fn globals_and_error_kinds() {
    assert_eq!(
        render(
            "{{ bos_token }}{{ strftime_now('%d %b %Y') }}{{ tools is none }}",
            hello()
        )
        .unwrap(),
        "<s>15 Jan 2026True"
    );
    let error = render("{{ raise_exception('no system role') }}", hello()).unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (ErrorKind::RaiseException, "no system role")
    );
    let error = render("{{ messages[0].name.x }}", hello()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Undefined);
    let error = render("{% for t in tools %}{% endfor %}", hello()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidOperation);
    assert_eq!(
        render("{% if %}", hello()).unwrap_err().kind,
        ErrorKind::Syntax
    );
    assert_eq!(render("{{ zip }}", hello()).unwrap(), "");
}

#[test]
fn top_level_macros_see_later_variables_and_themselves() {
    let source = "{% macro f(n) %}{{ ns.sep }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{% set ns = namespace(sep='-') %}{{ f(2) }}";
    assert_eq!(render(source, hello()).unwrap(), "---");
}

#[test]
fn reasoning_is_copied_and_nulls_dropped() {
    let conversation = Conversation::from_json(serde_json::json!([
        {"role": "assistant", "content": "a", "reasoning": "why", "tool_calls": null}
    ]))
    .unwrap();
    assert_eq!(
        conversation.messages()[0],
        serde_json::json!({"role": "assistant", "content": "a", "reasoning": "why", "thinking": "why", "reasoning_content": "why"})
    );
    assert!(Conversation::from_json(serde_json::json!({"messages": [{"content": "x"}]})).is_err());
    assert!(Conversation::from_json(serde_json::json!({"messages": "x"})).is_err());
}

#[test]
fn the_sandbox_hides_private_and_mutating_attributes() {
    let source = "{% set ns = namespace() %}{% set ns._a = 1 %}[{{ ns._a }}{{ messages.append }}]";
    assert_eq!(render(source, hello()).unwrap(), "[]");
    let error = render("{% set ns = namespace(_a=1) %}{{ ns._a + 1 }}", hello()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Security);
}

#[test]
fn a_huge_tojson_indent_fails_within_the_memory_budget() {
    // A template chooses both the indent and the nesting: neither may
    // allocate past the render's budget (256 MiB by default).
    for source in [
        "{{ messages | tojson(indent=10**12) }}",
        "{{ [[[[[[1]]]]]] | tojson(indent=200000000) }}",
    ] {
        let error = render(source, hello()).expect_err(source);
        assert_eq!(
            error.type_name, "RenderLimitExceeded",
            "{source}: {error:?}"
        );
    }
    assert!(render("{{ messages | tojson(indent=2) }}", hello()).is_ok());
}
