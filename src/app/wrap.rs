//! How the editor lays a line out on screen: which characters each screen
//! row holds when long lines wrap, and how many display cells they take.
//! Plain text logic, shared by the drawing code and the cursor motions (up
//! and down move by screen rows).

use unicode_width::UnicodeWidthChar;

/// One screen row of the editor: a part of a line.
pub struct ScreenRow {
    pub line: usize,
    /// The characters of the line on this row.
    pub columns: std::ops::Range<usize>,
    /// Whether the line ends on this row (its end-of-line marks go here).
    pub last: bool,
}

/// Splits a line into rows of at most `width` cells, breaking after the last
/// space that fits, or anywhere in a word longer than a row. An empty line
/// is one empty row.
pub fn wrap(line_index: usize, line: &str, width: usize) -> Vec<ScreenRow> {
    let chars: Vec<char> = line.chars().collect();
    let mut rows = Vec::new();
    let mut start = 0;
    loop {
        let mut used = 0;
        let mut end = start;
        let mut after_space = None;
        while end < chars.len() {
            let w = cells(std::iter::once(chars[end]));
            if used + w > width {
                break;
            }
            used += w;
            if chars[end] == ' ' {
                after_space = Some(end + 1);
            }
            end += 1;
        }
        if end >= chars.len() {
            rows.push(ScreenRow {
                line: line_index,
                columns: start..chars.len(),
                last: true,
            });
            return rows;
        }
        // Keep a row for the cursor at the end of a full line: break at a
        // space when one fits, else mid-word (at least one character).
        let end = after_space
            .filter(|&at| at > start)
            .unwrap_or(end.max(start + 1));
        rows.push(ScreenRow {
            line: line_index,
            columns: start..end,
            last: false,
        });
        start = end;
    }
}

/// How a character is drawn: a tab as one space, other control characters
/// as their pictures, so that each takes a known number of cells.
pub fn shown_char(c: char) -> char {
    match c {
        '\t' => ' ',
        c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
        c if c.is_control() => '�',
        c => c,
    }
}

/// Display cells the characters take as drawn (a CJK character two, a
/// combining mark none).
pub fn cells(chars: impl Iterator<Item = char>) -> usize {
    chars
        .map(|c| UnicodeWidthChar::width(shown_char(c)).unwrap_or(0))
        .sum()
}
