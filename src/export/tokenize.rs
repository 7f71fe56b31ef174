//! `--tokenizer tokenizer.json`: token ids with the Hugging Face `tokenizers`
//! crate, the same library (and file) Python's `transformers` fast tokenizers use.

use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// A loaded tokenizer.json and the hash that identifies it in the manifest.
pub struct TokenCounter {
    tokenizer: tokenizers::Tokenizer,
    sha256: String,
}

impl TokenCounter {
    pub fn load(path: &Path) -> anyhow::Result<TokenCounter> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read tokenizer {}", path.display()))?;
        let tokenizer = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|error| {
            anyhow::anyhow!("{} is not a usable tokenizer.json: {error}", path.display())
        })?;
        Ok(TokenCounter {
            tokenizer,
            sha256: hex_sha256(&bytes),
        })
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// How many tokens `text` is with no special tokens added (a
    /// chat-templated text holds its own).
    pub fn count_without_special_tokens(&self, text: &str) -> Result<usize, String> {
        self.tokenizer
            .encode(text, false)
            .map(|encoding| encoding.get_ids().len())
            .map_err(|error| format!("tokenizer failed: {error}"))
    }

    /// Token ids of `text`, with the tokenizer's own special tokens (its
    /// post-processor, e.g. T5's closing `</s>`), as `tokenizer(text)` gives
    /// them in Python.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>, String> {
        self.tokenizer
            .encode(text, true)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|error| format!("tokenizer failed: {error}"))
    }
}

/// Lowercase hex SHA-256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word-level tokenizer.json small enough to write by hand.
    pub(crate) const WORD_LEVEL: &str = r#"{
      "version": "1.0",
      "truncation": null,
      "padding": null,
      "added_tokens": [],
      "normalizer": null,
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": null,
      "decoder": null,
      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}
    }"#;

    #[test]
    fn counts_word_level_tokens() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tokenizer.json");
        std::fs::write(&path, WORD_LEVEL).unwrap();
        let counter = TokenCounter::load(&path).unwrap();
        assert_eq!(counter.ids("hello world again").unwrap(), vec![1, 2, 0]);
        assert_eq!(counter.sha256(), hex_sha256(WORD_LEVEL.as_bytes()));
    }

    #[test]
    fn bad_tokenizer_file_names_the_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("broken.json");
        std::fs::write(&path, "{}").unwrap();
        let message = TokenCounter::load(&path).err().unwrap().to_string();
        assert!(message.contains("broken.json"), "{message}");
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            hex_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
