//! Where PyYAML and saphyr-parser disagree on what a YAML file is, the
//! reader follows PyYAML (what PromptSource loads with): tabs where PyYAML's
//! scanner refuses them, `%YAML` versions other than 1.x and repeated
//! directives, escaped UTF-16 surrogates. The expected outcomes were recorded
//! from PyYAML 6 by tests/fixtures/yaml/pyyaml/generate.py.

use std::path::Path;

use promptstudio::core::template::DatasetTemplates;
use serde_json::Value as Json;

/// Cases where saphyr-parser refuses what PyYAML reads and no check of ours
/// can give it back: a tab starting a quoted scalar's continuation line.
const STILL_REFUSED: &[&str] = &["tab_in_quoted_continuation"];

#[test]
fn tabs_directives_and_surrogates_load_or_fail_as_in_pyyaml() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml/pyyaml/cases.json");
    let fixture: Json =
        serde_json::from_str(&std::fs::read_to_string(path).expect("cases.json")).expect("json");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let input = case["input"].as_str().expect("input");
        let ours = DatasetTemplates::parse(input, Path::new("t/templates.yaml"));
        if let Some(error) = case["error"].as_object() {
            let ours = ours.expect_err(&format!("{name}: PyYAML refuses it, we loaded it"));
            let position = (
                error["line"].as_u64().map(|l| l as usize),
                error["column"].as_u64().map(|c| c as usize),
            );
            assert_eq!((ours.line, ours.column), position, "{name}: {ours}");
            let problem = error["problem"].as_str().expect("problem");
            // PyYAML words a tab in a block scalar's header as a bad
            // indicator; the place is the same.
            if name != "tab_in_literal_header" {
                assert_eq!(ours.message, problem, "{name}");
            }
            continue;
        }
        if STILL_REFUSED.contains(&name) {
            assert!(ours.is_err(), "{name} now loads: compare it with PyYAML");
            continue;
        }
        let units: Vec<u16> = case["jinja_utf16"]
            .as_array()
            .expect("jinja_utf16")
            .iter()
            .map(|u| u.as_u64().expect("a unit") as u16)
            .collect();
        if char::decode_utf16(units.iter().copied()).any(|c| c.is_err()) {
            // A lone surrogate: PyYAML keeps it in a Python string, which
            // no UTF-8 text (nor Python's own print or file writes) can hold.
            let ours = ours.expect_err(&format!("{name}: a lone surrogate was accepted"));
            assert!(
                ours.message.contains("half of a UTF-16 surrogate pair"),
                "{name}: {ours}"
            );
            assert_eq!(ours.line, Some(6), "{name}: {ours}");
            continue;
        }
        let file = ours.unwrap_or_else(|e| panic!("{name}: PyYAML loads it, we refused: {e}"));
        let jinja: Vec<u16> = file.templates[0].jinja.encode_utf16().collect();
        assert_eq!(jinja, units, "{name}: {:?}", file.templates[0].jinja);
    }
}
