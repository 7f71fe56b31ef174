//! Jinja2's `lipsum` global: paragraphs of lorem ipsum drawn from the
//! render's generator, word for word as Jinja2 draws them.

use std::sync::Arc;

use super::filters::{int_param, take4};
use super::state::{CallArgs, State, R};
use super::value::*;
use crate::core::py::strings as pystr;

/// Jinja2's `lipsum` global: random lorem ipsum paragraphs.
pub(crate) fn lipsum(state: &mut State<'_>, args: CallArgs) -> R<Value> {
    const WORDS: &[&str] = &[
        "a",
        "ac",
        "accumsan",
        "ad",
        "adipiscing",
        "aenean",
        "aliquam",
        "aliquet",
        "amet",
        "ante",
        "aptent",
        "arcu",
        "at",
        "auctor",
        "augue",
        "bibendum",
        "blandit",
        "class",
        "commodo",
        "condimentum",
        "congue",
        "consectetuer",
        "consequat",
        "conubia",
        "convallis",
        "cras",
        "cubilia",
        "cum",
        "curabitur",
        "curae",
        "cursus",
        "dapibus",
        "diam",
        "dictum",
        "dictumst",
        "dignissim",
        "dis",
        "dolor",
        "donec",
        "dui",
        "duis",
        "egestas",
        "eget",
        "eleifend",
        "elementum",
        "elit",
        "enim",
        "erat",
        "eros",
        "est",
        "et",
        "etiam",
        "eu",
        "euismod",
        "facilisi",
        "facilisis",
        "fames",
        "faucibus",
        "felis",
        "fermentum",
        "feugiat",
        "fringilla",
        "fusce",
        "gravida",
        "habitant",
        "habitasse",
        "hac",
        "hendrerit",
        "hymenaeos",
        "iaculis",
        "id",
        "imperdiet",
        "in",
        "inceptos",
        "integer",
        "interdum",
        "ipsum",
        "justo",
        "lacinia",
        "lacus",
        "laoreet",
        "lectus",
        "leo",
        "libero",
        "ligula",
        "litora",
        "lobortis",
        "lorem",
        "luctus",
        "maecenas",
        "magna",
        "magnis",
        "malesuada",
        "massa",
        "mattis",
        "mauris",
        "metus",
        "mi",
        "molestie",
        "mollis",
        "montes",
        "morbi",
        "mus",
        "nam",
        "nascetur",
        "natoque",
        "nec",
        "neque",
        "netus",
        "nibh",
        "nisi",
        "nisl",
        "non",
        "nonummy",
        "nostra",
        "nulla",
        "nullam",
        "nunc",
        "odio",
        "orci",
        "ornare",
        "parturient",
        "pede",
        "pellentesque",
        "penatibus",
        "per",
        "pharetra",
        "phasellus",
        "placerat",
        "platea",
        "porta",
        "porttitor",
        "posuere",
        "potenti",
        "praesent",
        "pretium",
        "primis",
        "proin",
        "pulvinar",
        "purus",
        "quam",
        "quis",
        "quisque",
        "rhoncus",
        "ridiculus",
        "risus",
        "rutrum",
        "sagittis",
        "sapien",
        "scelerisque",
        "sed",
        "sem",
        "semper",
        "senectus",
        "sit",
        "sociis",
        "sociosqu",
        "sodales",
        "sollicitudin",
        "suscipit",
        "suspendisse",
        "taciti",
        "tellus",
        "tempor",
        "tempus",
        "tincidunt",
        "torquent",
        "tortor",
        "tristique",
        "turpis",
        "ullamcorper",
        "ultrices",
        "ultricies",
        "urna",
        "ut",
        "varius",
        "vehicula",
        "vel",
        "velit",
        "venenatis",
        "vestibulum",
        "vitae",
        "vivamus",
        "viverra",
        "volutpat",
        "vulputate",
    ];
    let [n, html, min, max] =
        take4(args.bind("generate_lorem_ipsum", &["n", "html", "min", "max"])?);
    let n = int_param(n, 5, "lipsum")?.clamp(0, 1000);
    let html = html.is_none_or(|v| v.truthy());
    let min = int_param(min, 20, "lipsum")?.clamp(1, 10_000) as u64;
    let max = int_param(max, 100, "lipsum")?.clamp(min as i64, 10_000) as u64;
    let mut paragraphs = Vec::new();
    for _ in 0..n {
        let rng = &mut *state.rng;
        let count = min + rng.randbelow(max - min + 1);
        let mut words = Vec::new();
        let mut capitalize_next = true;
        for i in 0..count {
            let mut word = WORDS[rng.randbelow(WORDS.len() as u64) as usize].to_string();
            if capitalize_next {
                word = pystr::capitalize(&word);
                capitalize_next = false;
            }
            if i + 1 < count && rng.randbelow(10) == 0 {
                word.push(if rng.randbelow(2) == 0 { ',' } else { '.' });
                capitalize_next = word.ends_with('.');
            }
            words.push(word);
        }
        let mut text = words.join(" ");
        if !text.ends_with('.') {
            text.push('.');
        }
        paragraphs.push(if html { format!("<p>{text}</p>") } else { text });
    }
    Ok(Value::Str(Arc::from(paragraphs.join(if html {
        "\n"
    } else {
        "\n\n"
    }))))
}
