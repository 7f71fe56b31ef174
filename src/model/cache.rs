//! The response cache: SQLite at `$XDG_CACHE_HOME/promptstudio/responses.sqlite`,
//! keyed by (endpoint, model id, request body). Only successful responses
//! are stored; the API key is never part of a key or a value. WAL mode and a
//! busy timeout let two processes share the file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// `$XDG_CACHE_HOME/promptstudio/responses.sqlite`, or under `~/.cache`.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CACHE_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".cache")))?;
    Some(base.join("promptstudio").join("responses.sqlite"))
}

/// A cache shared by the worker threads of a run.
pub struct ResponseCache {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl ResponseCache {
    pub fn open(path: &Path) -> anyhow::Result<ResponseCache> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let connection = Connection::open(path)
            .with_context(|| format!("opening the response cache {}", path.display()))?;
        connection.busy_timeout(Duration::from_secs(30))?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| connection.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| {
                connection.execute_batch(
                    "CREATE TABLE IF NOT EXISTS responses (
                        key BLOB PRIMARY KEY,
                        endpoint TEXT NOT NULL,
                        model TEXT NOT NULL,
                        response TEXT NOT NULL
                    ) WITHOUT ROWID;",
                )
            })
            .with_context(|| format!("preparing the response cache {}", path.display()))?;
        Ok(ResponseCache {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(endpoint: &str, model: &str, body: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for part in [endpoint, model, body] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().into()
    }

    /// The stored response to this request, if any.
    pub fn get(&self, endpoint: &str, model: &str, body: &str) -> anyhow::Result<Option<String>> {
        let key = Self::key(endpoint, model, body);
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement =
            connection.prepare_cached("SELECT response FROM responses WHERE key = ?1")?;
        Ok(statement
            .query_row(params![&key[..]], |row| row.get(0))
            .optional()?)
    }

    pub fn put(
        &self,
        endpoint: &str,
        model: &str,
        body: &str,
        response: &str,
    ) -> anyhow::Result<()> {
        let key = Self::key(endpoint, model, body);
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = connection.prepare_cached(
            "INSERT OR REPLACE INTO responses (key, endpoint, model, response) VALUES (?1, ?2, ?3, ?4)",
        )?;
        statement.execute(params![&key[..], endpoint, model, response])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_endpoint_model_and_body_and_two_handles_share_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/responses.sqlite");
        let first = ResponseCache::open(&path).unwrap();
        let second = ResponseCache::open(&path).unwrap();
        first
            .put("http://a/v1", "m", "{\"x\":1}", "{\"ok\":1}")
            .unwrap();
        assert_eq!(
            second
                .get("http://a/v1", "m", "{\"x\":1}")
                .unwrap()
                .as_deref(),
            Some("{\"ok\":1}")
        );
        assert_eq!(
            second.get("http://a/v1", "other", "{\"x\":1}").unwrap(),
            None
        );
        assert_eq!(second.get("http://b/v1", "m", "{\"x\":1}").unwrap(), None);
        assert_eq!(second.get("http://a/v1", "m", "{\"x\":2}").unwrap(), None);
        // Parts are length-prefixed: moving a character between them is another key.
        assert_eq!(second.get("http://a/v1m", "", "{\"x\":1}").unwrap(), None);
        let mode: String = second
            .connection
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
