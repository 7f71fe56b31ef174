//! `promptstudio chat-template check`: where a Rust server (minijinja)
//! would render a template differently from transformers.

use std::io::Write;

use super::chat_template::{CheckArgs, Prepared};
use super::Outcome;
use crate::core::chat::minijinja_env::MiniTemplate;
use crate::core::chat::{probes, ChatError, ChatTemplate};

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let Prepared { source, options } = args.template.prepare(false)?;
    let ours = ChatTemplate::compile(&source.text);
    let mini = MiniTemplate::compile(&source.text, options.now);
    let mut problems = 0;
    let mut cases = 0;
    for (name, conversation) in probes::conversations() {
        for add_generation_prompt in [false, true] {
            cases += 1;
            let mut options = options.clone();
            options.add_generation_prompt = add_generation_prompt;
            let want = match &ours {
                Ok(t) => t.render(&conversation, &options),
                Err(e) => Err(e.clone()),
            };
            let got = match &mini {
                Ok(t) => t.render(&conversation, &options),
                Err(e) => Err(e.clone()),
            };
            let case = format!("{name} (add_generation_prompt={add_generation_prompt})");
            if let Some(report) = compare(&want, &got) {
                problems += 1;
                writeln!(out, "{}: {case}: {report}", source.origin.display())?;
            }
        }
    }
    if problems == 0 {
        writeln!(
            out,
            "{}: minijinja renders all {cases} conversations as transformers does",
            source.origin.display()
        )?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "{problems} of {cases} renders differ between transformers and minijinja"
    )?;
    Ok(Outcome::Problems)
}

fn same_refusal(a: &ChatError, b: &ChatError) -> bool {
    a.kind == b.kind && a.message == b.message
}

/// Describes how the minijinja render differs from transformers', if it does.
fn compare(
    transformers: &Result<String, ChatError>,
    minijinja: &Result<String, ChatError>,
) -> Option<String> {
    match (transformers, minijinja) {
        (Ok(a), Ok(b)) if a == b => None,
        (Ok(a), Ok(b)) => Some(first_difference(a, b)),
        (Err(a), Err(b)) if same_refusal(a, b) => None,
        (Err(a), Err(b)) => Some(format!(
            "both fail, differently\n  transformers: {} {a}\n  minijinja:    {} {b}",
            a.kind.as_str(),
            b.kind.as_str()
        )),
        (Ok(_), Err(e)) => Some(format!("only minijinja fails: {} {e}", e.kind.as_str())),
        (Err(e), Ok(_)) => Some(format!("only transformers fails: {} {e}", e.kind.as_str())),
    }
}

/// The first line where two renders differ, shown escaped so invisible
/// differences (a `\r`, a trailing space) are visible.
fn first_difference(a: &str, b: &str) -> String {
    let a_lines: Vec<&str> = a.split('\n').collect();
    let b_lines: Vec<&str> = b.split('\n').collect();
    let line = (0..a_lines.len().max(b_lines.len()))
        .find(|&i| a_lines.get(i) != b_lines.get(i))
        .unwrap_or(0);
    let show = |lines: &[&str]| {
        lines
            .get(line)
            .map_or_else(|| "(no such line)".to_string(), |l| format!("{l:?}"))
    };
    format!(
        "outputs differ at line {}\n  transformers: {}\n  minijinja:    {}",
        line + 1,
        show(&a_lines),
        show(&b_lines)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_shown_escaped() {
        assert_eq!(
            first_difference("a\nb <\nc", "a\nb \\u003c\nc"),
            "outputs differ at line 2\n  transformers: \"b <\"\n  minijinja:    \"b \\\\u003c\""
        );
        assert!(first_difference("a\n", "a").contains("line 2"));
    }
}
