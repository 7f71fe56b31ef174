//! Hostile templates (deep nesting, memory-hungry expressions) end in a clean
//! error, within the stack every rendering thread is given.

use super::{render_str, RENDER_STACK_SIZE};

/// Compiles and renders on a thread with `stack` bytes, as the commands do.
fn render_with_stack(source: String, stack: usize) -> Result<String, String> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || render_str(&source, &[], Some(0)))
        .expect("spawns")
        .join()
        .expect("no panic")
}

fn render_deep(source: String) -> Result<String, String> {
    render_with_stack(source, RENDER_STACK_SIZE)
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// The deepest templates the limits accept, one per recursive path: blocks
/// holding a deep expression, parentheses, unary operators, a recursive macro.
fn deepest_accepted() -> Vec<(&'static str, String, &'static str)> {
    let chain = format!("{{{{ x{} }}}}", ".a".repeat(250));
    vec![
        (
            "nested ifs around a long attribute chain",
            format!(
                "{{% set x = none %}}{}",
                nested("{% if true %}", &chain, "{% endif %}", 250)
            ),
            "UndefinedError",
        ),
        (
            "nested fors",
            nested("{% for i in [1] %}", "{{ i }}", "{% endfor %}", 250),
            "1",
        ),
        (
            "parentheses",
            nested("(", "1", ")", 250).replace("1", "{{ 1 }}"),
            "",
        ),
        (
            "unary minus",
            format!("{{{{ {}1 }}}}", "-".repeat(250)),
            "1",
        ),
        (
            "sum chain",
            format!("{{{{ 1{} }}}}", "+1".repeat(250)),
            "251",
        ),
        (
            "recursive macro",
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(100000) }}"
                .to_string(),
            "RenderLimitExceeded",
        ),
        (
            "recursive macro through blocks",
            format!(
                "{{% macro f(n) %}}{}{{% endmacro %}}{{{{ f(100000) }}}}",
                nested(
                    "{% for i in [1] %}{% with %}{% if true %}",
                    "{% if n %}{{ f(n - 1) }}{% endif %}",
                    "{% endif %}{% endwith %}{% endfor %}",
                    2
                )
            ),
            "RenderLimitExceeded",
        ),
    ]
}

#[test]
fn deepest_accepted_templates_fit_the_render_stack() {
    for (what, source, expected) in deepest_accepted() {
        let result = render_deep(source);
        let text = match &result {
            Ok(text) => text.clone(),
            Err(error) => error.clone(),
        };
        assert!(text.contains(expected), "{what}: {result:?}");
    }
}

#[test]
fn deeper_templates_are_syntax_errors_naming_the_line() {
    let cases = [
        ("2,000 parentheses", nested("(", "1", ")", 2_000), 1),
        (
            "5,000 nested ifs",
            nested("{% if true %}\n", "x", "{% endif %}", 5_000),
            256,
        ),
        (
            "10,000 nested fors",
            nested("{% for i in [1] %}\n", "x", "{% endfor %}", 10_000),
            255,
        ),
        (
            "100,000 unary minus",
            format!("{}1", "-".repeat(100_000)),
            1,
        ),
        ("100,000 nots", format!("{}1", "not ".repeat(100_000)), 1),
        ("100,000 additions", format!("1{}", "+1".repeat(100_000)), 1),
        (
            "100,000 attributes",
            format!("x{}", ".a".repeat(100_000)),
            1,
        ),
        ("100,000 filters", format!("x{}", "|e".repeat(100_000)), 1),
        ("100,000 calls", format!("x{}", "()".repeat(100_000)), 1),
        ("100,000 and", format!("1{}", " and 1".repeat(100_000)), 1),
        (
            "100,000 conditionals",
            format!("1{}", " if 1 else 1".repeat(100_000)),
            1,
        ),
        ("100,000 lists", nested("[", "1", "]", 100_000), 1),
    ];
    for (what, source, line) in cases {
        let source = if source.starts_with('{') {
            source
        } else {
            format!("{{{{ {source} }}}}")
        };
        let error = std::thread::Builder::new()
            .stack_size(RENDER_STACK_SIZE)
            .spawn(move || super::Program::compile(&source).map(|_| ()))
            .expect("spawns")
            .join()
            .expect("no panic")
            .expect_err(what);
        assert!(
            error.message.contains("nests too deeply"),
            "{what}: {error}"
        );
        assert_eq!(error.line, line, "{what}: {error}");
    }
}

#[test]
fn runaway_recursive_macro_is_a_render_limit() {
    let source = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}";
    let error = render_deep(source.to_string()).expect_err("runs away");
    assert!(
        error.starts_with("RenderLimitExceeded: the template nested deeper than"),
        "{error}"
    );
}

#[test]
fn bounded_recursive_macro_renders_as_in_jinja2() {
    // Jinja2 3.1.6 renders "321" and recurses up to 247 levels here.
    let source = "{% macro f(n) %}{% if n %}{{n}}{{ f(n - 1) }}{% endif %}{% endmacro %}";
    assert_eq!(
        render_deep(format!("{source}{{{{ f(3) }}}}")),
        Ok("321".to_string())
    );
    let deep = render_deep(format!("{source}{{{{ f(247) }}}}")).expect("renders");
    assert!(deep.starts_with("247246"), "{deep}");
}

/// Each of these once aborted the process on allocation failure.
#[test]
fn hungry_templates_fail_with_a_render_limit() {
    let cases = [
        "{{ range(10**7)|list|sort }}",
        "{{ [1,2,3]|slice(10**9)|list }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}",
        "{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}{% endfor %}{{ l|length }}",
        "{% for i in range(100) %}{{ (range(10**6)|list)|length }}{% endfor %}",
        "{{ [1]|batch(10**7, 0)|list|length }}",
        "{% for i in range(1000) %}{{ ('x' * (10**6 + i))|length }}{% endfor %}",
        "{% for i in range(1000) %}{{ '{:>1000000}'.format(i)|length }}{% endfor %}",
        "{% for i in range(1000) %}{{ 'x'.ljust(10**6 + i)|length }}{% endfor %}",
        "{% for i in range(100) %}{{ (range(10**6)|join(','))|length }}{% endfor %}",
    ];
    for source in cases {
        let result = render_deep(source.to_string());
        assert!(
            matches!(&result, Err(e) if e.starts_with("RenderLimitExceeded")),
            "{source}: {}",
            result.map_or_else(|e| e, |text| text.chars().take(100).collect())
        );
    }
}

#[test]
fn ranges_and_their_slices_stay_lazy() {
    assert_eq!(
        render_deep("{{ range(10**18)[::-1][0] }}".to_string()),
        Ok("999999999999999999".to_string())
    );
    assert_eq!(
        render_deep("{{ range(10**18)[::-3] }}|{{ range(5)[10:] }}|{{ range(10)[2:8:2] }}|{{ range(10)[::-1] }}".to_string()),
        Ok("range(999999999999999999, -1, -3)|range(5, 5)|range(2, 8, 2)|range(9, -1, -1)".to_string())
    );
}

#[test]
fn the_memory_budget_is_an_option() {
    let source = "{{ (range(1000)|list)|length }}";
    let small = super::Options {
        memory_budget: 1_000,
    };
    let program = super::Program::compile_with(source, small).expect("compiles");
    let mut rng = super::PyRandom::from_seed(0);
    let mut out = String::new();
    let error = program
        .render(&super::EmptyContext, &[], &mut rng, &mut out, None)
        .expect_err("over budget");
    assert_eq!(error.kind, "RenderLimitExceeded");
    assert_eq!(render_deep(source.to_string()), Ok("1000".to_string()));
}

#[test]
fn oversized_percent_padding_names_the_limit() {
    // Python builds the 1 GB string; a render stops at its size bound.
    let error = render_deep("{{ '%999999999d' % 1 }}".to_string()).expect_err("too large");
    assert!(
        error.starts_with("RenderLimitExceeded: the result would be larger than 256 MiB"),
        "{error}"
    );
}

#[test]
fn deeply_nested_values_are_dropped_and_printed_without_overflow() {
    for wrap in ["[ns.x]", "(ns.x,)", "{'a': ns.x}", "[[ns.x], 1]"] {
        let build = format!(
            "{{% set ns = namespace(x=[]) %}}{{% for i in range(100000) %}}{{% set ns.x = {wrap} %}}{{% endfor %}}"
        );
        assert_eq!(
            render_deep(format!("{build}{{{{ ns.x|length }}}}")),
            Ok(if wrap.starts_with("[[") { "2" } else { "1" }.to_string()),
            "{wrap}"
        );
        let printed = render_deep(format!("{build}{{{{ ns.x }}}}")).expect("prints");
        assert!(printed.contains("..."), "{wrap}");
    }
}

#[test]
fn comparing_deeply_nested_values_is_a_recursion_error() {
    let build = "{% set ns = namespace(x=[], y=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% set ns.y = [ns.y] %}{% endfor %}";
    for compare in ["ns.x == ns.y", "ns.x < ns.y", "ns.x in [ns.y]"] {
        assert_eq!(
            render_deep(format!("{build}{{{{ {compare} }}}}")),
            Err("RecursionError: maximum recursion depth exceeded in comparison".to_string()),
            "{compare}"
        );
    }
    assert_eq!(
        render_deep("{{ [[1]] == [[1]] }}{{ [[1]] < [[2]] }}".to_string()),
        Ok("TrueTrue".to_string())
    );
}

#[test]
fn walking_deeply_nested_values_is_a_recursion_error_not_an_overflow() {
    let build = |wrap: &str| {
        format!(
            "{{% set ns = namespace(x=[], y=[]) %}}{{% for i in range(100000) %}}{{% set ns.x = {wrap} %}}{{% set ns.y = {} %}}{{% endfor %}}",
            wrap.replace("ns.x", "ns.y")
        )
    };
    let json_error =
        "RecursionError: maximum recursion depth exceeded while encoding a JSON object";
    let hash_error =
        "RecursionError: maximum recursion depth exceeded while calling a Python object";
    let compare_error = "RecursionError: maximum recursion depth exceeded in comparison";
    for (wrap, walk, expected) in [
        ("[ns.x]", "ns.x|tojson", Err(json_error)),
        ("{'a': ns.x}", "ns.x|tojson", Err(json_error)),
        ("(ns.x,)", "ns.x|tojson(indent=2)", Err(json_error)),
        ("(ns.x,)", "{ns.x: 1}|length", Err(hash_error)),
        (
            "(ns.x,)",
            "[ns.x, ns.y]|unique|list|length",
            Err(hash_error),
        ),
        ("(ns.x,)", "ns.x in {}", Err(hash_error)),
        ("[ns.x]", "[ns.x, ns.y]|sort|length", Err(compare_error)),
        (
            "[ns.x]",
            "{'a': ns.x, 'b': ns.y}|dictsort(by='value')|length",
            Err(compare_error),
        ),
        ("[ns.x]", "(ns.x|pprint)[:3]", Ok("[[[")),
        ("(ns.x,)", "(ns.x|string)[-3:]", Ok("),)")),
    ] {
        let result = render_deep(format!("{}{{{{ {walk} }}}}", build(wrap)));
        assert_eq!(
            result.as_deref().map_err(String::as_str),
            expected,
            "{wrap} {walk}"
        );
    }
    // Within Python's limit, the same walks succeed.
    assert_eq!(
        render_deep("{{ [[[1]]]|tojson }}{{ {((1,),): 2}|length }}".to_string()),
        Ok("[[[1]]]1".to_string())
    );
}

#[test]
fn deeply_nested_values_under_chat_tojson_are_a_recursion_error() {
    let source = "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}";
    let error = std::thread::Builder::new()
        .stack_size(RENDER_STACK_SIZE)
        .spawn(move || super::render_str_in(super::Mode::ChatTemplate, source, &[], Some(0)))
        .expect("spawns")
        .join()
        .expect("no panic");
    assert_eq!(
        error,
        Err(
            "RecursionError: maximum recursion depth exceeded while encoding a JSON object"
                .to_string()
        )
    );
}
