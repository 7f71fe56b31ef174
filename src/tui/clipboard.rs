//! Copying with OSC 52: the terminal itself sets the clipboard, which works
//! over SSH. Inside tmux, whose default `set-clipboard external` swallows
//! OSC 52 from applications, the sequence goes through tmux's DCS
//! passthrough to the outer terminal (tmux 3.3+ also needs
//! `set -g allow-passthrough on`).

use std::io::Write;

pub fn copy_osc52(text: &str) {
    let in_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(osc52(text, in_tmux).as_bytes());
    let _ = stdout.flush();
}

/// The bytes that set the clipboard to `text`; inside tmux wrapped as
/// `ESC P tmux; <sequence with each ESC doubled> ESC \`.
pub fn osc52(text: &str, in_tmux: bool) -> String {
    let sequence = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if in_tmux {
        format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
    } else {
        sequence
    }
}

/// Standard base64 with padding (RFC 4648), all OSC 52 needs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_is_wrapped_in_tmux_passthrough_inside_tmux() {
        assert_eq!(super::osc52("foo", false), "\x1b]52;c;Zm9v\x07");
        assert_eq!(
            super::osc52("foo", true).as_bytes(),
            b"\x1bPtmux;\x1b\x1b]52;c;Zm9v\x07\x1b\\"
        );
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(input.as_bytes()), expected);
        }
    }
}
