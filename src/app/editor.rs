//! The template editor's text model.
//!
//! A model of our own rather than ratatui-textarea or edtui: those widgets
//! own their key handling and live on ratatui types, while the studio needs
//! (a) edits driven by keymap [`Action`](super::Action)s that tests can call
//! without a terminal, (b) syntect highlighting, which neither widget offers,
//! and (c) cursor positions in the engine's terms (1-based line, column) for
//! the error marker. Templates are a few kilobytes, so lines of `String`
//! with whole-buffer undo snapshots are simple and fast enough.

use super::wrap::{cells, wrap};

/// A position: 0-based line and 0-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditKind {
    Typing,
    Deleting,
    Other,
}

#[derive(Debug, Clone)]
struct Snapshot {
    lines: Vec<String>,
    cursor: Cursor,
}

/// Multi-line text with a cursor, undo/redo and search.
#[derive(Debug, Clone)]
pub struct TextBuffer {
    lines: Vec<String>,
    cursor: Cursor,
    /// Where the cursor wants to be when moving up and down through shorter
    /// rows: display cells from the start of its screen row.
    goal_column: Option<usize>,
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    last_edit: Option<EditKind>,
    /// The other end of the selection, when one is being made; the cursor
    /// is its moving end.
    anchor: Option<Cursor>,
    /// First visible screen row (lines wrap); kept by the drawing code so the
    /// cursor stays in view.
    pub scroll: std::cell::Cell<usize>,
    /// Display cells a screen row holds, as last drawn: up and down move by
    /// screen rows of that width. 0 until drawn: they move by lines.
    pub wrap_width: std::cell::Cell<usize>,
}

const UNDO_LIMIT: usize = 500;

impl Default for TextBuffer {
    fn default() -> Self {
        TextBuffer::new("")
    }
}

impl TextBuffer {
    pub fn new(text: &str) -> Self {
        TextBuffer {
            lines: split_lines(text),
            cursor: Cursor::default(),
            goal_column: None,
            undo: Vec::new(),
            redo: Vec::new(),
            last_edit: None,
            anchor: None,
            scroll: std::cell::Cell::new(0),
            wrap_width: std::cell::Cell::new(0),
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// Replaces the whole text as one undoable step (e.g. a reload).
    pub fn set_text(&mut self, text: &str) {
        if self.text() == text {
            return;
        }
        self.checkpoint(EditKind::Other);
        self.lines = split_lines(text);
        self.anchor = None;
        self.clamp_cursor();
    }

    pub fn set_cursor(&mut self, cursor: Cursor) {
        self.anchor = None;
        self.cursor = cursor;
        self.clamp_cursor();
        self.goal_column = None;
        self.last_edit = None;
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    fn line_len(&self, line: usize) -> usize {
        self.lines[line].chars().count()
    }

    fn byte_index(&self, line: usize, column: usize) -> usize {
        let text = &self.lines[line];
        text.char_indices()
            .nth(column)
            .map_or(text.len(), |(index, _)| index)
    }

    fn clamp_cursor(&mut self) {
        self.cursor.line = self.cursor.line.min(self.lines.len() - 1);
        self.cursor.column = self.cursor.column.min(self.line_len(self.cursor.line));
    }

    /// Saves an undo point unless this edit continues a run of the same kind
    /// (so one undo removes a typed word, not one letter).
    fn checkpoint(&mut self, kind: EditKind) {
        self.redo.clear();
        if self.last_edit == Some(kind) && kind != EditKind::Other {
            return;
        }
        self.undo.push(Snapshot {
            lines: self.lines.clone(),
            cursor: self.cursor,
        });
        if self.undo.len() > UNDO_LIMIT {
            self.undo.remove(0);
        }
        self.last_edit = Some(kind);
    }

    pub fn insert_char(&mut self, c: char) {
        if c == '\n' {
            return self.newline();
        }
        self.delete_selection();
        // A space ends a typing run, so undo goes back word by word.
        let kind = if c.is_whitespace() {
            EditKind::Other
        } else {
            EditKind::Typing
        };
        self.checkpoint(kind);
        let at = self.byte_index(self.cursor.line, self.cursor.column);
        self.lines[self.cursor.line].insert(at, c);
        self.cursor.column += 1;
        self.goal_column = None;
        if kind == EditKind::Other {
            self.last_edit = Some(EditKind::Typing);
        }
    }

    /// Inserts text that may span lines (a paste) as one undoable step.
    pub fn insert_str(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.delete_selection();
        self.checkpoint(EditKind::Other);
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let at = self.byte_index(self.cursor.line, self.cursor.column);
        let tail = self.lines[self.cursor.line].split_off(at);
        let mut pieces = text.split('\n');
        if let Some(first) = pieces.next() {
            self.lines[self.cursor.line].push_str(first);
        }
        for piece in pieces {
            self.cursor.line += 1;
            self.lines.insert(self.cursor.line, piece.to_owned());
        }
        self.cursor.column = self.line_len(self.cursor.line);
        self.lines[self.cursor.line].push_str(&tail);
        self.goal_column = None;
        self.last_edit = Some(EditKind::Other);
    }

    pub fn newline(&mut self) {
        self.delete_selection();
        self.checkpoint(EditKind::Other);
        let at = self.byte_index(self.cursor.line, self.cursor.column);
        let tail = self.lines[self.cursor.line].split_off(at);
        self.lines.insert(self.cursor.line + 1, tail);
        self.cursor.line += 1;
        self.cursor.column = 0;
        self.goal_column = None;
    }

    pub fn backspace(&mut self) {
        if self.delete_selection() {
            return;
        }
        if self.cursor == Cursor::default() {
            return;
        }
        self.checkpoint(EditKind::Deleting);
        if self.cursor.column > 0 {
            let at = self.byte_index(self.cursor.line, self.cursor.column - 1);
            self.lines[self.cursor.line].remove(at);
            self.cursor.column -= 1;
        } else {
            let line = self.lines.remove(self.cursor.line);
            self.cursor.line -= 1;
            self.cursor.column = self.line_len(self.cursor.line);
            self.lines[self.cursor.line].push_str(&line);
        }
        self.goal_column = None;
    }

    pub fn delete(&mut self) {
        if self.delete_selection() {
            return;
        }
        let at_line_end = self.cursor.column == self.line_len(self.cursor.line);
        if at_line_end && self.cursor.line + 1 == self.lines.len() {
            return;
        }
        self.checkpoint(EditKind::Deleting);
        if at_line_end {
            let next = self.lines.remove(self.cursor.line + 1);
            self.lines[self.cursor.line].push_str(&next);
        } else {
            let at = self.byte_index(self.cursor.line, self.cursor.column);
            self.lines[self.cursor.line].remove(at);
        }
    }

    /// The selected range, start first, when it is not empty.
    pub fn selection(&self) -> Option<(Cursor, Cursor)> {
        let anchor = self.anchor.filter(|anchor| *anchor != self.cursor)?;
        Some((anchor.min(self.cursor), anchor.max(self.cursor)))
    }

    /// The selected text, lines joined with `\n`.
    pub fn selected_text(&self) -> Option<String> {
        let (start, end) = self.selection()?;
        let from = self.byte_index(start.line, start.column);
        let to = self.byte_index(end.line, end.column);
        if start.line == end.line {
            return Some(self.lines[start.line][from..to].to_owned());
        }
        let mut text = self.lines[start.line][from..].to_owned();
        for line in &self.lines[start.line + 1..end.line] {
            text.push('\n');
            text.push_str(line);
        }
        text.push('\n');
        text.push_str(&self.lines[end.line][..to]);
        Some(text)
    }

    /// Moves the cursor with `motion` while keeping (or starting) the
    /// selection at where it was.
    pub fn select(&mut self, motion: impl FnOnce(&mut Self)) {
        let anchor = self.anchor.unwrap_or(self.cursor);
        motion(self);
        self.anchor = Some(anchor);
    }

    pub fn select_all(&mut self) {
        self.anchor = Some(Cursor::default());
        self.bottom();
        self.anchor = Some(Cursor::default());
    }

    /// Ends the selection without touching the text.
    pub fn clear_selection(&mut self) {
        self.anchor = None;
    }

    /// Removes the selected text as one undoable step; returns whether there
    /// was any.
    pub fn delete_selection(&mut self) -> bool {
        let Some((start, end)) = self.selection() else {
            self.anchor = None;
            return false;
        };
        self.checkpoint(EditKind::Other);
        let from = self.byte_index(start.line, start.column);
        let to = self.byte_index(end.line, end.column);
        let tail = self.lines[end.line][to..].to_owned();
        self.lines.drain(start.line + 1..=end.line);
        self.lines[start.line].truncate(from);
        self.lines[start.line].push_str(&tail);
        self.cursor = start;
        self.anchor = None;
        self.goal_column = None;
        true
    }

    pub fn undo(&mut self) -> bool {
        self.restore(true)
    }

    pub fn redo(&mut self) -> bool {
        self.restore(false)
    }

    fn restore(&mut self, undo: bool) -> bool {
        let (from, to) = if undo {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        let Some(snapshot) = from.pop() else {
            return false;
        };
        to.push(Snapshot {
            lines: std::mem::replace(&mut self.lines, snapshot.lines),
            cursor: self.cursor,
        });
        self.cursor = snapshot.cursor;
        self.anchor = None;
        self.clamp_cursor();
        self.last_edit = None;
        true
    }

    fn moved(&mut self) {
        self.last_edit = None;
    }

    pub fn left(&mut self) {
        if self.cursor.column > 0 {
            self.cursor.column -= 1;
        } else if self.cursor.line > 0 {
            self.cursor.line -= 1;
            self.cursor.column = self.line_len(self.cursor.line);
        }
        self.goal_column = None;
        self.moved();
    }

    pub fn right(&mut self) {
        if self.cursor.column < self.line_len(self.cursor.line) {
            self.cursor.column += 1;
        } else if self.cursor.line + 1 < self.lines.len() {
            self.cursor.line += 1;
            self.cursor.column = 0;
        }
        self.goal_column = None;
        self.moved();
    }

    /// Moves `delta` screen rows down (up when negative): within a wrapped
    /// line first, then across lines, keeping the display column it started
    /// from as its goal.
    pub fn vertical(&mut self, delta: isize) {
        let width = match self.wrap_width.get() {
            0 => usize::MAX,
            width => width,
        };
        let rows_of = |line: usize| wrap(line, &self.lines[line], width);
        let mut line = self.cursor.line;
        let mut rows = rows_of(line);
        let mut row = rows
            .iter()
            .rposition(|row| row.columns.start <= self.cursor.column)
            .unwrap_or(0);
        let chars: Vec<char> = self.lines[line].chars().collect();
        let start = rows[row].columns.start;
        let goal = *self.goal_column.get_or_insert_with(|| {
            cells(
                chars[start..self.cursor.column.min(chars.len())]
                    .iter()
                    .copied(),
            )
        });
        for _ in 0..delta.unsigned_abs() {
            if delta > 0 {
                if row + 1 < rows.len() {
                    row += 1;
                } else if line + 1 < self.lines.len() {
                    line += 1;
                    rows = rows_of(line);
                    row = 0;
                } else {
                    break;
                }
            } else if row > 0 {
                row -= 1;
            } else if line > 0 {
                line -= 1;
                rows = rows_of(line);
                row = rows.len() - 1;
            } else {
                break;
            }
        }
        let target = &rows[row];
        let chars: Vec<char> = self.lines[line].chars().collect();
        // A row that is not the line's last ends where the next one starts:
        // the cursor there would show on the next row, so it stops before.
        let last_column = if target.last || target.columns.is_empty() {
            target.columns.end
        } else {
            target.columns.end - 1
        };
        let mut column = target.columns.start;
        let mut used = 0;
        while column < last_column {
            let width = cells(std::iter::once(chars[column]));
            if used + width > goal {
                break;
            }
            used += width;
            column += 1;
        }
        self.cursor = Cursor { line, column };
        self.moved();
    }

    pub fn line_start(&mut self) {
        // Home toggles between the first non-blank character and column 0.
        let indent = self.lines[self.cursor.line]
            .chars()
            .take_while(|c| c.is_whitespace())
            .count();
        self.cursor.column = if self.cursor.column == indent {
            0
        } else {
            indent
        };
        self.goal_column = None;
        self.moved();
    }

    pub fn line_end(&mut self) {
        self.cursor.column = self.line_len(self.cursor.line);
        self.goal_column = None;
        self.moved();
    }

    pub fn top(&mut self) {
        self.cursor = Cursor::default();
        self.goal_column = None;
        self.moved();
    }

    pub fn bottom(&mut self) {
        self.cursor.line = self.lines.len() - 1;
        self.cursor.column = self.line_len(self.cursor.line);
        self.goal_column = None;
        self.moved();
    }

    pub fn word_left(&mut self) {
        let chars: Vec<char> = self.lines[self.cursor.line].chars().collect();
        let mut column = self.cursor.column;
        if column == 0 {
            return self.left();
        }
        while column > 0 && !is_word(chars[column - 1]) {
            column -= 1;
        }
        while column > 0 && is_word(chars[column - 1]) {
            column -= 1;
        }
        self.cursor.column = column;
        self.goal_column = None;
        self.moved();
    }

    pub fn word_right(&mut self) {
        let chars: Vec<char> = self.lines[self.cursor.line].chars().collect();
        let mut column = self.cursor.column;
        if column == chars.len() {
            return self.right();
        }
        while column < chars.len() && is_word(chars[column]) {
            column += 1;
        }
        while column < chars.len() && !is_word(chars[column]) {
            column += 1;
        }
        self.cursor.column = column;
        self.goal_column = None;
        self.moved();
    }

    /// Moves to the next occurrence of `needle` after the cursor, wrapping
    /// around; case-insensitive. Returns whether one was found.
    pub fn find_next(&mut self, needle: &str) -> bool {
        if needle.is_empty() {
            return false;
        }
        let fold = |c: char| c.to_lowercase().next().unwrap_or(c);
        let needle: Vec<char> = needle.chars().map(fold).collect();
        let count = self.lines.len();
        // Lines after the cursor, then wrapping around back to the cursor's
        // own line, where only matches at or before the cursor remain.
        for step in 0..=count {
            let line = (self.cursor.line + step) % count;
            let chars: Vec<char> = self.lines[line].chars().map(fold).collect();
            let Some(last_start) = chars.len().checked_sub(needle.len()) else {
                continue;
            };
            let candidates = if step == 0 {
                self.cursor.column + 1..=last_start
            } else if step == count {
                0..=self.cursor.column.min(last_start)
            } else {
                0..=last_start
            };
            let found = candidates
                .into_iter()
                .find(|&i| chars[i..i + needle.len()] == needle[..]);
            if let Some(column) = found {
                self.cursor = Cursor { line, column };
                self.goal_column = None;
                self.moved();
                return true;
            }
        }
        false
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn split_lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(buffer: &mut TextBuffer, text: &str) {
        for c in text.chars() {
            buffer.insert_char(c);
        }
    }

    #[test]
    fn selections_across_lines_copy_cut_and_are_replaced_by_typing() {
        let mut buffer = TextBuffer::new("ab\ncdé\nfg");
        buffer.set_cursor(Cursor { line: 0, column: 1 });
        buffer.select(TextBuffer::right);
        buffer.select(|b| b.vertical(1));
        assert_eq!(buffer.selected_text().as_deref(), Some("b\ncd"));
        // Selecting backwards: the anchor stays where the selection began.
        let mut backwards = TextBuffer::new("ab\ncdé\nfg");
        backwards.set_cursor(Cursor { line: 1, column: 2 });
        backwards.select(TextBuffer::left);
        backwards.select(|b| b.vertical(-1));
        backwards.select(TextBuffer::right);
        assert_eq!(backwards.selected_text().as_deref(), Some("\ncd"));

        assert!(buffer.delete_selection());
        assert_eq!(buffer.text(), "aé\nfg");
        assert_eq!(buffer.cursor(), Cursor { line: 0, column: 1 });
        assert_eq!(buffer.selection(), None);
        assert!(buffer.undo());
        assert_eq!(buffer.text(), "ab\ncdé\nfg");

        buffer.select_all();
        assert_eq!(buffer.selected_text().as_deref(), Some("ab\ncdé\nfg"));
        typed(&mut buffer, "x");
        assert_eq!(buffer.text(), "x");

        // Backspace removes the selection only; a motion ends it.
        let mut buffer = TextBuffer::new("hello");
        buffer.select(TextBuffer::line_end);
        buffer.backspace();
        assert_eq!(buffer.text(), "");
        let mut buffer = TextBuffer::new("hello");
        buffer.select(TextBuffer::right);
        buffer.clear_selection();
        buffer.backspace();
        assert_eq!(buffer.text(), "ello");
        // An empty selection is none.
        buffer.select(|_| {});
        assert_eq!(buffer.selected_text(), None);
        assert!(!buffer.delete_selection());
    }

    #[test]
    fn typing_newlines_and_deleting() {
        let mut buffer = TextBuffer::new("");
        typed(&mut buffer, "{{ text }}");
        buffer.newline();
        typed(&mut buffer, "|||é");
        assert_eq!(buffer.text(), "{{ text }}\n|||é");
        buffer.backspace();
        assert_eq!(buffer.text(), "{{ text }}\n|||");
        buffer.line_start();
        buffer.backspace();
        assert_eq!(buffer.text(), "{{ text }}|||");
        assert_eq!(
            buffer.cursor(),
            Cursor {
                line: 0,
                column: 10
            }
        );
        buffer.delete();
        assert_eq!(buffer.text(), "{{ text }}||");
    }

    #[test]
    fn undo_goes_back_a_word_at_a_time_and_redo_returns() {
        let mut buffer = TextBuffer::new("");
        typed(&mut buffer, "hello world");
        assert!(buffer.undo());
        assert_eq!(buffer.text(), "hello");
        assert!(buffer.undo());
        assert_eq!(buffer.text(), "");
        assert!(!buffer.undo());
        assert!(buffer.redo());
        assert_eq!(buffer.text(), "hello");
        assert!(buffer.redo());
        assert_eq!(buffer.text(), "hello world");
        assert!(!buffer.redo());
    }

    #[test]
    fn up_and_down_move_by_screen_rows_when_lines_wrap() {
        let mut buffer = TextBuffer::new("aaaa bbbb cccc dddd\nxy");
        buffer.wrap_width.set(10);
        buffer.set_cursor(Cursor { line: 0, column: 2 });
        buffer.vertical(1);
        assert_eq!(
            buffer.cursor(),
            Cursor {
                line: 0,
                column: 12
            }
        );
        buffer.vertical(1);
        assert_eq!(buffer.cursor(), Cursor { line: 1, column: 2 });
        buffer.vertical(-1);
        assert_eq!(
            buffer.cursor(),
            Cursor {
                line: 0,
                column: 12
            }
        );
        buffer.vertical(-1);
        assert_eq!(buffer.cursor(), Cursor { line: 0, column: 2 });
        // Without a drawn width, whole lines.
        buffer.wrap_width.set(0);
        buffer.vertical(1);
        assert_eq!(buffer.cursor(), Cursor { line: 1, column: 2 });
    }

    #[test]
    fn a_short_wrapped_row_keeps_the_cursor_on_it() {
        // Width 5: "ab " | "cdefg" | "hijkl" | "mnop", then "01234" | "56789".
        let mut buffer = TextBuffer::new("ab cdefghijklmnop\n0123456789");
        buffer.wrap_width.set(5);
        buffer.set_cursor(Cursor { line: 1, column: 4 });
        let mut seen = Vec::new();
        for _ in 0..5 {
            buffer.vertical(-1);
            seen.push(buffer.cursor().column);
        }
        // The last row may hold the cursor at the line's end; the others stop
        // before their end, which belongs to the next row.
        assert_eq!(seen, vec![17, 12, 7, 2, 2]);
        assert_eq!(buffer.cursor().line, 0);
    }

    #[test]
    fn the_goal_is_in_display_cells() {
        let mut buffer = TextBuffer::new("日本語abc\nabcdefgh");
        buffer.set_cursor(Cursor { line: 0, column: 2 });
        buffer.vertical(1);
        assert_eq!(buffer.cursor(), Cursor { line: 1, column: 4 });
        buffer.vertical(-1);
        assert_eq!(buffer.cursor(), Cursor { line: 0, column: 2 });
    }

    #[test]
    fn vertical_moves_keep_the_goal_column() {
        let mut buffer = TextBuffer::new("abcdef\nab\nabcdef");
        buffer.set_cursor(Cursor { line: 0, column: 5 });
        buffer.vertical(1);
        assert_eq!(buffer.cursor(), Cursor { line: 1, column: 2 });
        buffer.vertical(1);
        assert_eq!(buffer.cursor(), Cursor { line: 2, column: 5 });
        buffer.vertical(10);
        assert_eq!(buffer.cursor().line, 2);
    }

    #[test]
    fn words_and_paste() {
        let mut buffer = TextBuffer::new("{{ premise }} and");
        buffer.word_right();
        assert_eq!(buffer.cursor().column, 3);
        buffer.word_right();
        assert_eq!(buffer.cursor().column, 14);
        buffer.word_left();
        assert_eq!(buffer.cursor().column, 3);
        buffer.insert_str("a\r\nb ");
        assert_eq!(buffer.text(), "{{ a\nb premise }} and");
        assert_eq!(buffer.cursor(), Cursor { line: 1, column: 2 });
        buffer.undo();
        assert_eq!(buffer.text(), "{{ premise }} and");
    }

    #[test]
    fn search_wraps_around_case_insensitively() {
        let mut buffer = TextBuffer::new("Label: {{ label }}\nno\nLABEL");
        assert!(buffer.find_next("label"));
        assert_eq!(
            buffer.cursor(),
            Cursor {
                line: 0,
                column: 10
            }
        );
        assert!(buffer.find_next("label"));
        assert_eq!(buffer.cursor(), Cursor { line: 2, column: 0 });
        assert!(buffer.find_next("label"));
        assert_eq!(buffer.cursor(), Cursor { line: 0, column: 0 });
        assert!(!buffer.find_next("absent"));
    }
}
