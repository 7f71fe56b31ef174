//! Pastes without bracketed paste. A terminal that does not bracket a paste
//! sends it as keys, all in one read: its tabs and newlines would then move
//! the focus and press buttons. Keys that arrive together, with text and a
//! tab or newline among them, are taken for a paste; a person typing never
//! gets several keys into one read, and key repeat sends one key.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};

use super::Incoming;
use crate::app::Event;

/// The character a key of pasted text stands for, if it is one.
fn pasted_char(event: &TermEvent) -> Option<char> {
    let TermEvent::Key(key) = event else {
        return None;
    };
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let plain = (key.modifiers - KeyModifiers::SHIFT).is_empty();
    match key.code {
        KeyCode::Char(c) if plain => Some(c),
        // In raw mode a pasted LF arrives as Ctrl-J.
        KeyCode::Char('j') if key.modifiers == KeyModifiers::CONTROL => Some('\n'),
        KeyCode::Tab if plain => Some('\t'),
        KeyCode::Enter if plain => Some('\n'),
        _ => None,
    }
}

/// `events`, read together, with each run of text keys that holds a tab or
/// a newline and at least two other characters turned into one paste.
pub fn coalesce(events: Vec<TermEvent>) -> Vec<Incoming> {
    let mut out = Vec::with_capacity(events.len());
    let mut run: Vec<(TermEvent, char)> = Vec::new();
    let flush = |run: &mut Vec<(TermEvent, char)>, out: &mut Vec<Incoming>| {
        // Only tabs and newlines between text are pasted: a tab or enter
        // before or after it stays a key (a script's `tab`, `name` +
        // `enter` written at once).
        let is_break = |c: &char| matches!(c, '\t' | '\n');
        let first = run.iter().position(|(_, c)| !is_break(c));
        let last = run.iter().rposition(|(_, c)| !is_break(c));
        let (Some(first), Some(last)) = (first, last) else {
            return out.extend(run.drain(..).map(|(event, _)| Incoming::Terminal(event)));
        };
        let middle = &run[first..=last];
        let breaks = middle.iter().filter(|(_, c)| is_break(c)).count();
        if breaks == 0 || middle.len() - breaks < 2 {
            return out.extend(run.drain(..).map(|(event, _)| Incoming::Terminal(event)));
        }
        let pasted: String = middle.iter().map(|(_, c)| *c).collect();
        let mut events = run.drain(..).map(|(event, _)| Incoming::Terminal(event));
        out.extend(events.by_ref().take(first));
        out.push(Incoming::App(Event::Paste(pasted)));
        out.extend(events.skip(last + 1 - first));
    };
    for event in events {
        match pasted_char(&event) {
            Some(c) => run.push((event, c)),
            None => {
                flush(&mut run, &mut out);
                out.push(Incoming::Terminal(event));
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn keys(text: &str) -> Vec<TermEvent> {
        text.chars()
            .map(|c| {
                let code = match c {
                    '\t' => KeyCode::Tab,
                    '\r' => KeyCode::Enter,
                    c => KeyCode::Char(c),
                };
                TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
            })
            .collect()
    }

    fn pastes(incoming: &[Incoming]) -> Vec<String> {
        incoming
            .iter()
            .filter_map(|i| match i {
                Incoming::App(Event::Paste(text)) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn text_with_tabs_or_newlines_read_together_is_a_paste() {
        let out = coalesce(keys("a\tb\rcd"));
        assert_eq!(pastes(&out), vec!["a\tb\ncd"]);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn tabs_and_enters_around_the_text_stay_keys() {
        let out = coalesce(keys("\tab\tc\r"));
        assert_eq!(pastes(&out), vec!["ab\tc"]);
        assert_eq!(out.len(), 3);
        assert!(matches!(&out[0], Incoming::Terminal(_)));
        assert!(matches!(&out[2], Incoming::Terminal(_)));
    }

    #[test]
    fn single_keys_and_key_repeat_stay_keys() {
        for text in ["\t", "jjjj", "\t\t\t", "a\t", "\r", "\tHello ", "name\r"] {
            let out = coalesce(keys(text));
            assert!(pastes(&out).is_empty(), "{text:?}");
            assert_eq!(out.len(), text.chars().count());
        }
    }
}
