//! Token counts of a rendered prompt with the model's `tokenizer.json`
//! (the `tokenizers` crate, the library transformers' fast tokenizers are).
//! No special tokens are added: a chat template writes its own.

use std::path::{Path, PathBuf};

/// A loaded tokenizer.
pub struct TokenCounter {
    tokenizer: tokenizers::Tokenizer,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCounter").finish_non_exhaustive()
    }
}

impl TokenCounter {
    /// Loads `spec`: a tokenizer.json, a model folder holding one, or
    /// `ORG/NAME` in `hub_cache`. Errors name the file.
    pub fn load(spec: &str, hub_cache: &Path) -> Result<TokenCounter, String> {
        let path = resolve(spec, hub_cache)?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let tokenizer = tokenizers::Tokenizer::from_bytes(&bytes)
            .map_err(|e| format!("{}: not a usable tokenizer.json: {e}", path.display()))?;
        Ok(TokenCounter { tokenizer })
    }

    /// How many tokens `text` is, special tokens not added (Python:
    /// `len(tokenizer.encode(text, add_special_tokens=False).ids)`).
    pub fn count(&self, text: &str) -> Result<usize, String> {
        self.tokenizer
            .encode(text, false)
            .map(|encoding| encoding.get_ids().len())
            .map_err(|e| format!("tokenizer failed: {e}"))
    }

    /// The texts of the tokenizer's special added tokens (`<|im_start|>`,
    /// `<s>`, ...), the ones a chat template writes as markup.
    pub fn special_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self
            .tokenizer
            .get_added_tokens_decoder()
            .into_values()
            .filter(|token| token.special && !token.content.is_empty())
            .map(|token| token.content)
            .collect();
        tokens.sort();
        tokens
    }
}

fn resolve(spec: &str, hub_cache: &Path) -> Result<PathBuf, String> {
    let path = Path::new(spec);
    let dir = if path.is_file() {
        return Ok(path.to_path_buf());
    } else if path.is_dir() {
        path.to_path_buf()
    } else if let Some(dir) = super::source::cached_model(spec, hub_cache) {
        dir
    } else {
        return Err(format!(
            "{spec}: no such tokenizer file, folder, or model in the Hugging Face cache {}",
            hub_cache.display()
        ));
    };
    let file = dir.join("tokenizer.json");
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!(
            "{}: no tokenizer.json in this folder",
            dir.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/fixtures/chat: a tokenizer.json and the counts the Python
    /// `tokenizers` package gives (see make_tokenizer.py there).
    #[test]
    fn counts_equal_the_python_tokenizers_package() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chat");
        let counter =
            TokenCounter::load(fixtures.join("tokenizer.json").to_str().unwrap(), &fixtures)
                .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures.join("token_counts.json")).unwrap(),
        )
        .unwrap();
        let cases = expected.as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let text = case["text"].as_str().unwrap();
            assert_eq!(
                counter.count(text).unwrap() as u64,
                case["tokens"].as_u64().unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn an_unreadable_tokenizer_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("tokenizer.json");
        std::fs::write(&bad, "{}").unwrap();
        let error = TokenCounter::load(dir.path().to_str().unwrap(), dir.path()).unwrap_err();
        assert!(
            error.contains("tokenizer.json: not a usable tokenizer.json"),
            "{error}"
        );
    }
}
