//! Server-sent events as the WHATWG spec frames them, reduced to what
//! OpenAI-compatible streams use: `data:` lines, joined by newlines, ended
//! by a blank line; comments (`:`) and other fields ignored.

/// Collects the lines of one event at a time.
#[derive(Debug, Default)]
pub struct EventReader {
    data: Option<String>,
}

impl EventReader {
    /// Feeds one line (without its line ending); returns an event's data
    /// when the line ends it.
    pub fn push_line(&mut self, line: &str) -> Option<String> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return self.data.take();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<String> {
        let mut reader = EventReader::default();
        text.split('\n')
            .filter_map(|line| reader.push_line(line))
            .collect()
    }

    #[test]
    fn frames_events_as_the_spec_does() {
        assert_eq!(
            events("data: {\"a\":1}\n\n: keep-alive\n\ndata:x\ndata: y\r\n\r\nevent: ping\ndata: [DONE]\n\n"),
            ["{\"a\":1}", "x\ny", "[DONE]"]
        );
        // An event without its blank line is not dispatched.
        assert!(events("data: partial").is_empty());
    }
}
