//! Checks on every name that becomes part of a cache path: the repo id and
//! revision the user gives, and the file names, commit and ETag the server
//! sends. A name that passes can only ever name a path inside its own folder
//! (no `..`, no absolute path, no drive or backslash tricks, no NUL).

/// Longest file name most file systems accept, in bytes.
const MAX_SEGMENT: usize = 255;

/// A repo id: `name` or `org/name`, with the characters the Hub allows.
pub(crate) fn check_repo_id(id: &str) -> Result<(), String> {
    let segments: Vec<&str> = id.split('/').collect();
    let plain = |segment: &&str| {
        !segment.is_empty()
            && *segment != "."
            && *segment != ".."
            && segment.len() <= 96
            && segment
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte))
    };
    if segments.len() > 2 || !segments.iter().all(plain) {
        return Err(format!(
            "`{}` is not a Hub repo id (`name` or `org/name`, letters, digits, `-`, `_`, `.`)",
            id.escape_debug()
        ));
    }
    Ok(())
}

/// A path inside a repo or a folder (a file name as the Hub lists it, or a
/// revision such as `refs/convert/parquet`): `/`-separated plain segments.
pub(crate) fn check_relative_path(what: &str, path: &str) -> Result<(), String> {
    let problem = if path.is_empty() {
        Some("it is empty")
    } else if path.starts_with('/') {
        Some("it is absolute")
    } else {
        path.split('/').find_map(segment_problem)
    };
    match problem {
        Some(problem) => Err(format!(
            "unsafe {what} `{}`: {problem}",
            path.escape_debug()
        )),
        None => Ok(()),
    }
}

fn segment_problem(segment: &str) -> Option<&'static str> {
    if segment.is_empty() {
        Some("it has an empty segment")
    } else if segment == "." || segment == ".." {
        Some("it has a `.` or `..` segment")
    } else if segment.len() > MAX_SEGMENT {
        Some("a segment is longer than 255 bytes")
    } else if segment.chars().any(char::is_control) {
        Some("it has a control character")
    } else if segment.contains('\\') {
        Some("it has a backslash")
    } else if cfg!(windows) && segment.contains(':') {
        Some("it has a `:`")
    } else {
        None
    }
}

/// A commit id as the Hub gives it: 40 lowercase hex digits.
pub(crate) fn check_commit(commit: &str) -> Result<(), String> {
    if commit.len() == 40
        && commit
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        Ok(())
    } else {
        Err(format!(
            "the Hub sent `{}` as a commit, which is not a 40-digit hex id",
            commit.escape_debug()
        ))
    }
}

/// The blob name from an `ETag` / `X-Linked-Etag` header: quotes and a weak
/// `W/` prefix go (as `huggingface_hub` does); what is left must be a hex
/// digest (git's SHA-1 or an LFS SHA-256).
pub(crate) fn blob_name(etag: &str) -> Result<String, String> {
    let trimmed = etag.trim();
    let name = trimmed
        .strip_prefix("W/")
        .unwrap_or(trimmed)
        .trim_matches('"');
    if (32..=128).contains(&name.len()) && name.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "the Hub sent `{}` as an ETag, which is not a hex digest",
            name.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_one_or_two_plain_segments() {
        for good in ["ag_news", "org/name", "a.b-c_d/E9"] {
            assert!(check_repo_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            "org/..",
            "a/b/c",
            "/abs",
            "a//b",
            "a\\b",
            "a b",
            "a/.",
            "org/na\0me",
        ] {
            assert!(check_repo_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths_have_plain_segments_only() {
        for good in [
            "train.parquet",
            "data/train-00000-of-00002.parquet",
            "refs/convert/parquet",
            "a..b/c.d",
        ] {
            assert!(check_relative_path("file name", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../victim",
            "a/../../b",
            "a/./b",
            "a//b",
            "a/",
            "..\\..\\x",
            "a\0b",
            "a\nb",
            &"x".repeat(256),
        ] {
            let error = check_relative_path("file name", bad).expect_err(bad);
            assert!(error.starts_with("unsafe file name"), "{error}");
        }
    }

    #[test]
    fn commits_are_forty_lowercase_hex_digits() {
        assert!(check_commit(&"a1".repeat(20)).is_ok());
        for bad in [
            "".to_string(),
            "a".repeat(39),
            "A".repeat(40),
            format!("../../{}", "a".repeat(34)),
            "g".repeat(40),
        ] {
            assert!(check_commit(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn etags_become_hex_blob_names_or_errors() {
        let sha = "0123456789abcdef".repeat(4);
        assert_eq!(blob_name(&format!("\"{sha}\"")), Ok(sha.clone()));
        assert_eq!(blob_name(&format!("W/\"{sha}\"")), Ok(sha.clone()));
        let sha1 = "f".repeat(40);
        assert_eq!(blob_name(&sha1), Ok(sha1.clone()));
        for bad in [
            "\"../../../../victim.txt\"",
            "\"\"",
            "\"abc\"",
            "\"0123456789abcdef0123456789abcdef/x\"",
            "W/\"..\"",
        ] {
            assert!(blob_name(bad).is_err(), "{bad}");
        }
    }
}
