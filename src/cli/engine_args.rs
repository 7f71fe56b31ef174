//! The engine's settings shared by the commands that render templates
//! (`render`, `apply`, `check`, `export`, `eval`).

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Bytes one render may allocate (lists, strings, dicts the template
    /// builds) before that row fails with RenderLimitExceeded: a number of
    /// bytes or with a unit, e.g. 64MiB, 1GiB (default 256MiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub memory_budget: Option<usize>,
}

impl EngineArgs {
    /// Makes these settings the engine's defaults for this process, so every
    /// template the command compiles (on any thread) uses them.
    pub fn install(&self) {
        if let Some(bytes) = self.memory_budget {
            crate::core::jinja::set_default_memory_budget(bytes);
        }
    }
}

/// `123`, `64KiB`, `256MiB`, `1GiB` (also `KB`/`MB`/`GB` and `K`/`M`/`G`,
/// read as binary units too).
fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (number, unit) = text.split_at(digits);
    let number: usize = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size (a number of bytes, or e.g. 64MiB)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit '{other}' (use KiB, MiB or GiB)")),
    };
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if bytes == 0 {
        return Err("the memory budget must be above 0 bytes".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_read_with_and_without_units() {
        assert_eq!(parse_bytes("123"), Ok(123));
        assert_eq!(parse_bytes("64KiB"), Ok(64 << 10));
        assert_eq!(parse_bytes("256MiB"), Ok(256 << 20));
        assert_eq!(parse_bytes("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("2m"), Ok(2 << 20));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("MiB").is_err());
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("99999999999999999999GiB").is_err());
    }
}
