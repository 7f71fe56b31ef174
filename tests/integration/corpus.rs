//! Where the integration tests find PromptSource's conformance corpus.

use std::path::{Path, PathBuf};

/// The corpus folder, `$PROMPTSTUDIO_CONFORMANCE` or else
/// `../shared/conformance` beside the checkout, when it holds `needs` (a
/// file or folder inside it). Otherwise a test prints `SKIP` and passes, unless
/// `PROMPTSTUDIO_REQUIRE_CONFORMANCE=1` (CI sets it): then it fails, so CI can
/// never pass by skipping.
pub fn conformance(needs: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if root.join(needs).exists() {
        return Some(root);
    }
    if std::env::var("PROMPTSTUDIO_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
        panic!(
            "conformance corpus not found at {} (no {needs} in it)",
            root.display()
        );
    }
    println!(
        "SKIP: conformance corpus not found at {} (set PROMPTSTUDIO_CONFORMANCE)",
        root.display()
    );
    None
}

/// The chat-template corpus, `$PROMPTSTUDIO_CHAT_TEMPLATES` or else
/// `../shared/chat-templates`, when it holds `cases.jsonl`; SKIP or FAIL as
/// [`conformance`] does.
pub fn chat_templates() -> Option<PathBuf> {
    let root = std::env::var_os("PROMPTSTUDIO_CHAT_TEMPLATES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/chat-templates"));
    if root.join("cases.jsonl").exists() {
        return Some(root);
    }
    if std::env::var("PROMPTSTUDIO_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
        panic!(
            "chat-template corpus not found at {} (no cases.jsonl)",
            root.display()
        );
    }
    println!(
        "SKIP: chat-template corpus not found at {} (set PROMPTSTUDIO_CHAT_TEMPLATES)",
        root.display()
    );
    None
}
