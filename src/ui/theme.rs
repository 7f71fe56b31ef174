//! Themes: TOML files of semantic style names (`ui.border.focused`,
//! `jinja.variable`, `preview.target`, ...), adapted to what the terminal
//! can show.

use std::collections::HashMap;

use ratatui::style::{Color, Modifier, Style};

const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
];

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    /// `NO_COLOR`: attributes (bold, reversed) only.
    None,
}

impl ColorDepth {
    /// From the environment: `NO_COLOR` (any non-empty value) wins, then
    /// `COLORTERM=truecolor|24bit`, else 256 colours.
    pub fn detect() -> ColorDepth {
        let env = |name: &str| std::env::var(name).unwrap_or_default();
        ColorDepth::from_env(&env("NO_COLOR"), &env("COLORTERM"))
    }

    pub fn from_env(no_color: &str, colorterm: &str) -> ColorDepth {
        if !no_color.is_empty() {
            ColorDepth::None
        } else if matches!(colorterm, "truecolor" | "24bit") {
            ColorDepth::TrueColor
        } else {
            ColorDepth::Ansi256
        }
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: HashMap<String, Style>,
}

impl Theme {
    /// A built-in theme by name, or a user theme from
    /// `$XDG_CONFIG_HOME/promptstudio/themes/NAME.toml`.
    pub fn load(name: &str, depth: ColorDepth) -> anyhow::Result<Theme> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return Theme::parse(name, text, depth);
        }
        let path = crate::app::keymap::config_dir()
            .map(|dir| dir.join("themes").join(format!("{name}.toml")))
            .ok_or_else(|| {
                anyhow::anyhow!("unknown theme `{name}` (built in: dark, light, ansi16)")
            })?;
        let text = std::fs::read_to_string(&path).map_err(|error| {
            anyhow::anyhow!(
                "unknown theme `{name}` (built in: dark, light, ansi16; {}: {error})",
                path.display()
            )
        })?;
        Theme::parse(name, &text, depth).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// The default theme for the terminal.
    pub fn default_for(depth: ColorDepth) -> Theme {
        // Built-in themes are tested below; failing here is a build defect.
        Theme::load("dark", depth).expect("built-in theme parses")
    }

    pub fn parse(name: &str, text: &str, depth: ColorDepth) -> anyhow::Result<Theme> {
        let table: toml::Table = text.parse()?;
        let mut styles = HashMap::new();
        for (key, value) in &table {
            let mut style =
                parse_style(value, depth).map_err(|e| anyhow::anyhow!("`{key}`: {e}"))?;
            // Colour themes mark a selection with its background; without
            // colour (NO_COLOR) bold alone is easy to lose, reverse video is not.
            if depth == ColorDepth::None && key.ends_with("selection") {
                style = style.add_modifier(Modifier::REVERSED);
            }
            styles.insert(key.clone(), style);
        }
        Ok(Theme {
            name: name.to_owned(),
            styles,
        })
    }

    /// The style for a semantic name, falling back to its parents.
    pub fn get(&self, name: &str) -> Style {
        let mut key = name;
        loop {
            if let Some(style) = self.styles.get(key) {
                return *style;
            }
            match key.rfind('.') {
                Some(dot) => key = &key[..dot],
                None => return Style::default(),
            }
        }
    }
}

fn parse_style(value: &toml::Value, depth: ColorDepth) -> Result<Style, String> {
    let mut style = Style::default();
    match value {
        toml::Value::String(_) | toml::Value::Integer(_) => {
            style = style.fg(parse_color(value, depth)?)
        }
        toml::Value::Table(table) => {
            for (key, item) in table {
                match key.as_str() {
                    "fg" => style = style.fg(parse_color(item, depth)?),
                    "bg" => style = style.bg(parse_color(item, depth)?),
                    "bold" | "italic" | "underline" | "reversed" | "dim" => {
                        let on = item
                            .as_bool()
                            .ok_or_else(|| format!("`{key}` must be true or false"))?;
                        let modifier = match key.as_str() {
                            "bold" => Modifier::BOLD,
                            "italic" => Modifier::ITALIC,
                            "underline" => Modifier::UNDERLINED,
                            "reversed" => Modifier::REVERSED,
                            _ => Modifier::DIM,
                        };
                        if on {
                            style = style.add_modifier(modifier);
                        }
                    }
                    other => return Err(format!("unknown attribute `{other}`")),
                }
            }
        }
        _ => return Err("expected a colour or a table".into()),
    }
    if depth == ColorDepth::None {
        style.fg = None;
        style.bg = None;
    }
    Ok(style)
}

fn parse_color(value: &toml::Value, depth: ColorDepth) -> Result<Color, String> {
    if let Some(index) = value.as_integer() {
        return u8::try_from(index)
            .map(Color::Indexed)
            .map_err(|_| format!("colour index {index} is not 0..=255"));
    }
    let text = value
        .as_str()
        .ok_or("a colour is a name, \"#rrggbb\" or 0..=255")?;
    if let Some(hex) = text.strip_prefix('#') {
        let channel = |i: usize| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{text}` is not #rrggbb"))
        };
        if hex.len() != 6 {
            return Err(format!("`{text}` is not #rrggbb"));
        }
        let (r, g, b) = (channel(0)?, channel(2)?, channel(4)?);
        return Ok(match depth {
            ColorDepth::TrueColor => Color::Rgb(r, g, b),
            _ => Color::Indexed(nearest_256(r, g, b)),
        });
    }
    text.parse::<Color>()
        .map_err(|_| format!("unknown colour `{text}`"))
}

/// The closest colour of xterm's 256-colour palette (its 6x6x6 cube or its
/// grey ramp), for terminals without truecolor.
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let nearest_level = |v: u8| {
        (0..6)
            .min_by_key(|&i| (LEVELS[i] as i32 - v as i32).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (nearest_level(r), nearest_level(g), nearest_level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let distance = |(x, y, z): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        d(x, r) + d(y, g) + d(z, b)
    };
    let average = (r as u32 + g as u32 + b as u32) / 3;
    let grey_index = ((average.saturating_sub(3)) / 10).min(23) as u8;
    let grey_level = 8 + 10 * grey_index;
    if distance((grey_level, grey_level, grey_level)) < distance(cube) {
        232 + grey_index
    } else {
        16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_at_every_depth() {
        for (name, _) in BUILT_IN {
            for depth in [ColorDepth::TrueColor, ColorDepth::Ansi256, ColorDepth::None] {
                let theme = Theme::load(name, depth).unwrap();
                assert!(theme.styles.contains_key("jinja.variable"), "{name}");
            }
        }
    }

    #[test]
    fn depth_follows_the_environment() {
        assert_eq!(ColorDepth::from_env("1", "truecolor"), ColorDepth::None);
        assert_eq!(ColorDepth::from_env("", "truecolor"), ColorDepth::TrueColor);
        assert_eq!(ColorDepth::from_env("", "24bit"), ColorDepth::TrueColor);
        assert_eq!(ColorDepth::from_env("", ""), ColorDepth::Ansi256);
    }

    #[test]
    fn colours_adapt_and_names_fall_back_to_parents() {
        let text = "\"a\" = \"#ff0000\"\n\"a.b\" = { bg = 17, bold = true }\n";
        let truecolor = Theme::parse("t", text, ColorDepth::TrueColor).unwrap();
        assert_eq!(truecolor.get("a.c.d").fg, Some(Color::Rgb(255, 0, 0)));
        let indexed = Theme::parse("t", text, ColorDepth::Ansi256).unwrap();
        assert_eq!(indexed.get("a").fg, Some(Color::Indexed(196)));
        assert_eq!(indexed.get("a.b").bg, Some(Color::Indexed(17)));
        let plain = Theme::parse("t", text, ColorDepth::None).unwrap();
        assert_eq!(
            plain.get("a.b"),
            Style::default().add_modifier(Modifier::BOLD)
        );
        assert_eq!(plain.get("missing"), Style::default());
    }

    #[test]
    fn without_colour_selections_are_reverse_video() {
        for name in ["dark", "light", "ansi16"] {
            let theme = Theme::load(name, ColorDepth::None).unwrap();
            for key in ["ui.selection", "editor.selection"] {
                assert!(
                    theme.get(key).add_modifier.contains(Modifier::REVERSED),
                    "{name} {key}"
                );
            }
        }
        let dark = Theme::load("dark", ColorDepth::TrueColor).unwrap();
        assert!(!dark
            .get("ui.selection")
            .add_modifier
            .contains(Modifier::REVERSED));
    }

    #[test]
    fn nearest_256_picks_cube_and_greys() {
        assert_eq!(nearest_256(0, 0, 0), 16);
        assert_eq!(nearest_256(255, 255, 255), 231);
        assert_eq!(nearest_256(0x5f, 0xaf, 0xff), 75);
        assert_eq!(nearest_256(0x26, 0x2a, 0x33), 236);
        assert_eq!(nearest_256(0x30, 0x30, 0x30), 236);
    }

    #[test]
    fn bad_themes_say_what_is_wrong() {
        let err = Theme::parse("t", "\"a\" = \"#12\"\n", ColorDepth::TrueColor).unwrap_err();
        assert!(err.to_string().contains("`#12` is not #rrggbb"), "{err}");
        let err =
            Theme::parse("t", "\"a\" = { blink = true }\n", ColorDepth::TrueColor).unwrap_err();
        assert!(
            err.to_string().contains("unknown attribute `blink`"),
            "{err}"
        );
    }
}
