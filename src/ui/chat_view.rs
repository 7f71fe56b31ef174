//! The model's side of the preview: the prompt as the model reads it
//! (chat-templated, special tokens dimmed), the token counts with a bar
//! against the context length, the model picker and the batch view's
//! token-length histogram.

use std::ops::Range;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::{ellipsize, visible, Ui};
use crate::app::chat::{ChatPreview, TokenStats, SETTINGS_FILE};
use crate::app::chat_state::ModelPicker;
use crate::app::{Action, App, Context, PreviewResult};

/// Cells of the context-length bar.
const BAR_WIDTH: usize = 24;

/// The preview's title in the chat view.
pub fn title(app: &App) -> Option<String> {
    if !app.chat.view {
        return None;
    }
    Some(match &app.chat.model {
        Some(model) => format!(" Model input · {} ", model.name),
        None => " Model input ".to_owned(),
    })
}

/// The latest render through the model, if it is for this preview's
/// generation or (while the new one is on its way) the one before.
fn shown<'a>(app: &'a App, result: &PreviewResult) -> Option<&'a ChatPreview> {
    result.outcome.as_ref().ok()?;
    app.chat.shown.as_ref()
}

/// `Tokens  input 31 · target 2 · prompt 45 of 4096` and a bar of the
/// prompt against the context length; nothing without a tokenizer.
pub fn counts_lines(ui: &Ui, app: &App, result: &PreviewResult, lines: &mut Vec<Line<'static>>) {
    let Some(model) = &app.chat.model else {
        return;
    };
    if model.tokenizer.is_none() || result.outcome.is_err() {
        return;
    }
    let Some(shown) = shown(app, result) else {
        lines.push(Line::styled("Tokens  counting…", ui.style("ui.dim")));
        lines.push(Line::default());
        return;
    };
    let number = |n: Option<usize>| n.map_or("-".to_owned(), |n| n.to_string());
    let mut spans = vec![
        Span::styled("Tokens  ", ui.style("preview.label")),
        Span::styled("input ", ui.style("preview.field")),
        Span::styled(number(shown.input_tokens), ui.style("preview.value")),
        Span::styled(" · target ", ui.style("preview.field")),
        Span::styled(number(shown.target_tokens), ui.style("preview.value")),
    ];
    if model.template.is_some() {
        spans.push(Span::styled(" · prompt ", ui.style("preview.field")));
        spans.push(Span::styled(
            number(shown.prompt_tokens),
            ui.style("preview.value"),
        ));
    }
    if let Some(context) = model.context_length {
        spans.push(Span::styled(
            format!(" of {context}"),
            ui.style("preview.field"),
        ));
    }
    if app.chat_pending() {
        spans.push(Span::styled(" ⋯", ui.style("ui.dim")));
    }
    lines.push(Line::from(spans));
    if let Some(error) = &shown.count_error {
        lines.push(Line::styled(error.clone(), ui.style("preview.error")));
    }
    let measured = shown.prompt_tokens.or(shown.input_tokens);
    if let (Some(context), Some(tokens)) = (model.context_length, measured) {
        lines.push(context_bar(ui, tokens, context));
    }
    lines.push(Line::default());
}

/// `▕████░░░░▏ 17% of the context`, warning from 90%, an error past it.
fn context_bar(ui: &Ui, tokens: usize, context: usize) -> Line<'static> {
    let ratio = tokens as f64 / context.max(1) as f64;
    let filled = ((ratio * BAR_WIDTH as f64).ceil() as usize).min(BAR_WIDTH);
    let style = if ratio > 1.0 {
        ui.style("preview.error")
    } else if ratio >= 0.9 {
        ui.style("ui.warning")
    } else {
        ui.style("preview.target")
    };
    let label = if ratio > 1.0 {
        format!(" {} tokens over the context", tokens - context)
    } else {
        format!(" {:.0}% of the context", ratio * 100.0)
    };
    Line::from(vec![
        Span::styled("▕", ui.style("ui.dim")),
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(BAR_WIDTH - filled), ui.style("ui.dim")),
        Span::styled("▏", ui.style("ui.dim")),
        Span::styled(label, style),
    ])
}

/// The chat view's body: the prompt as the model reads it, or why there
/// is none.
pub fn chat_lines(ui: &Ui, app: &App, result: &PreviewResult, lines: &mut Vec<Line<'static>>) {
    let chat = &app.chat;
    let Some(model) = &chat.model else {
        if let Some(loading) = &chat.loading {
            lines.push(Line::styled(
                format!("Loading the model ({loading})…"),
                ui.style("ui.dim"),
            ));
        } else if let Some(problem) = &chat.problem {
            lines.push(Line::styled(
                "The model could not be loaded",
                ui.style("preview.error"),
            ));
            lines.push(Line::styled(visible(problem), ui.style("preview.error")));
        } else {
            let pick = app
                .keymap
                .key_for(Context::Global, Action::PickModel)
                .map_or(String::new(), |key| {
                    format!(", or press {key} to pick a model from the Hugging Face cache")
                });
            lines.push(Line::styled(
                format!(
                    "No model: set [model] chat_template (and tokenizer) in {SETTINGS_FILE}{pick}."
                ),
                ui.style("ui.warning"),
            ));
        }
        return;
    };
    if model.template.is_none() {
        lines.push(Line::styled(
            format!(
                "{} is a tokenizer only: set [model] chat_template in {SETTINGS_FILE} to see the prompt as the model reads it",
                model.name
            ),
            ui.style("ui.warning"),
        ));
        return;
    }
    let Some(shown) = shown(app, result) else {
        lines.push(Line::styled("Rendering…", ui.style("ui.dim")));
        return;
    };
    match &shown.prompt {
        Some(Ok(prompt)) => {
            lines.push(Line::styled(
                "One user turn, add_generation_prompt on (special tokens dimmed)",
                ui.style("preview.label"),
            ));
            prompt_lines(
                prompt,
                &shown.special,
                ui.style("preview.input"),
                ui.style("ui.dim"),
                lines,
            );
        }
        Some(Err(error)) => {
            lines.push(Line::styled(
                "The chat template failed on this row",
                ui.style("preview.error"),
            ));
            lines.push(Line::styled(visible(error), ui.style("preview.error")));
        }
        None => {}
    }
}

/// The prompt's lines, `special` byte ranges in their own style.
fn prompt_lines(
    text: &str,
    special: &[Range<usize>],
    base: Style,
    dimmed: Style,
    lines: &mut Vec<Line<'static>>,
) {
    let mut offset = 0;
    for line in text.split('\n') {
        let end = offset + line.len();
        let mut pieces = Vec::new();
        let mut at = offset;
        for range in special.iter().filter(|r| r.start < end && r.end > offset) {
            let start = range.start.max(at);
            let stop = range.end.min(end);
            if start > at && text.is_char_boundary(start) {
                pieces.push(Span::styled(visible(&text[at..start]), base));
                at = start;
            }
            if stop > at && text.is_char_boundary(stop) {
                pieces.push(Span::styled(visible(&text[at..stop]), dimmed));
                at = stop;
            }
        }
        if at < end {
            pieces.push(Span::styled(visible(&text[at..end]), base));
        }
        lines.push(Line::from(pieces));
        offset = end + 1;
    }
}

/// The model picker dialog.
pub fn model_picker(ui: &Ui, frame: &mut Frame, area: Rect, picker: &ModelPicker) {
    let [column] = Layout::horizontal([Constraint::Length(area.width.saturating_sub(4).min(64))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::vertical([Constraint::Length(area.height.saturating_sub(4).min(20))])
        .flex(Flex::Center)
        .areas(column);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(ui.style("dialog.border"))
        .title(Line::styled(
            " Model (Hugging Face cache) ",
            ui.style("dialog.border"),
        ))
        .title_bottom(Line::styled(
            " type to filter · enter load · esc cancel ",
            ui.style("dialog.border"),
        ))
        .style(ui.style("dialog"));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = vec![Line::from(vec![
        Span::styled("filter: ", ui.style("ui.dim")),
        Span::raw(picker.filter.clone()),
    ])];
    match &picker.models {
        None => lines.push(Line::styled(
            "Looking in the Hugging Face cache…",
            ui.style("ui.dim"),
        )),
        Some(Err(error)) => lines.push(Line::styled(visible(error), ui.style("preview.error"))),
        Some(Ok(models)) if models.is_empty() => lines.push(Line::styled(
            "No model with a tokenizer_config.json or chat_template.jinja in the cache (promptstudio fetch --model ORG/NAME downloads one)",
            ui.style("ui.warning"),
        )),
        Some(Ok(models)) => {
            let visible_models = picker.visible();
            let height = (inner.height as usize).saturating_sub(1);
            let top = picker.selected.saturating_sub(height.saturating_sub(1));
            for (row, &index) in visible_models.iter().enumerate().skip(top).take(height) {
                let model = &models[index];
                let what = match (model.has_template, model.has_tokenizer) {
                    (true, true) => "template, tokenizer",
                    (true, false) => "template",
                    (false, true) => "tokenizer",
                    (false, false) => "no template",
                };
                let width = (inner.width as usize).saturating_sub(what.len() + 3);
                let line = Line::from(vec![
                    Span::raw(format!("{:<width$} ", ellipsize(&model.id, width))),
                    Span::styled(format!(" {what}"), ui.style("ui.dim")),
                ]);
                lines.push(if row == picker.selected {
                    line.style(ui.style("ui.selection"))
                } else {
                    line
                });
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .style(ui.style("dialog"))
            .wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );
}

/// Input lengths in the model's tokens over the whole split.
pub fn token_histogram(ui: &Ui, frame: &mut Frame, area: Rect, stats: &TokenStats) {
    let bars: Vec<Bar> = stats
        .histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            Bar::default()
                .value(n as u64)
                .label(Line::raw(TokenStats::bucket_label(i)))
                .text_value(n.to_string())
        })
        .collect();
    let count = stats.histogram.len() as u16;
    let gap = u16::from(area.width >= count * 4 - 1);
    let bar_width = ((area.width + gap) / count).saturating_sub(gap).clamp(1, 7);
    let title = match stats.context_length {
        Some(context) => format!(
            "input tokens (max {}, {} over {context})",
            stats.longest, stats.over_context
        ),
        None => format!("input tokens (max {})", stats.longest),
    };
    let style = if stats.over_context > 0 {
        ui.style("ui.warning")
    } else {
        ui.style("ui.dim")
    };
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(gap)
            .bar_style(ui.style("chart.bar"))
            .block(Block::new().title(Line::styled(title, style))),
        area,
    );
}
