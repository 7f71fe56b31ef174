//! The HTTP side of Hub downloads, on `ureq` with its own redirect handling:
//! ureq follows redirects itself, but we need to stop at the Hub's own
//! answer (its headers describe the file; the CDN's do not), to count hops,
//! and to send the token only to the endpoint's own scheme, host and port.

use std::time::Duration;

use ureq::http::{Response, StatusCode, Uri};
use ureq::{Agent, Body};

/// Redirects followed for one request before giving up (the Hub needs one or
/// two: a renamed repo, then the CDN).
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Largest JSON answer read into memory (a file listing of a big repo is a
/// few MB).
const MAX_JSON_BYTES: u64 = 64 << 20;

pub(crate) struct Client {
    agent: Agent,
    endpoint: String,
    origin: Origin,
    authorization: Option<String>,
}

/// Scheme, host and port: what must match for the token to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        Some(Origin {
            host: uri.host()?.to_ascii_lowercase(),
            scheme,
            port,
        })
    }
}

/// One answer, and the URL it came from.
pub(crate) struct Answer {
    pub url: Uri,
    pub response: Response<Body>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// Where a redirect points, resolved against this answer's URL.
    pub fn redirect_target(&self) -> Option<Result<Uri, String>> {
        if !self.status().is_redirection() || self.status() == StatusCode::NOT_MODIFIED {
            return None;
        }
        let Some(location) = self.header("location") else {
            return Some(Err(format!(
                "{} answered {} without a Location",
                self.url,
                self.status()
            )));
        };
        Some(resolve(&self.url, location))
    }
}

impl Client {
    /// `timeout` bounds connecting and each wait for data from the server.
    pub fn new(endpoint: &str, token: Option<&str>, timeout: Duration) -> Result<Client, String> {
        let endpoint_uri: Uri = endpoint
            .parse()
            .map_err(|error| format!("the endpoint `{endpoint}` is not a URL: {error}"))?;
        let origin = Origin::of(&endpoint_uri)
            .filter(|origin| origin.scheme == "http" || origin.scheme == "https")
            .ok_or_else(|| format!("the endpoint `{endpoint}` is not an http(s) URL"))?;
        let agent: Agent = Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_connect(Some(timeout))
            .timeout_send_request(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .user_agent(concat!("promptstudio/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            origin,
            authorization: token.map(|token| format!("Bearer {token}")),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether `url` is on the endpoint's scheme, host and port.
    pub fn is_endpoint(&self, url: &Uri) -> bool {
        Origin::of(url).as_ref() == Some(&self.origin)
    }

    /// One GET, no redirect followed; the token goes only to the endpoint's
    /// origin.
    pub fn get_once(&self, url: &Uri, range: Option<&str>) -> Result<Answer, String> {
        let mut request = self
            .agent
            .get(url.clone())
            .header("accept-encoding", "identity");
        if let Some(range) = range {
            request = request.header("range", range);
        }
        if let Some(authorization) = &self.authorization {
            if self.is_endpoint(url) {
                request = request.header("authorization", authorization);
            }
        }
        let response = request.call().map_err(|error| describe(url, &error))?;
        Ok(Answer {
            url: url.clone(),
            response,
        })
    }

    /// A GET following at most [`MAX_REDIRECTS`] redirects; the final answer
    /// may be any status.
    pub fn get(&self, url: &Uri, range: Option<&str>) -> Result<Answer, String> {
        let mut answer = self.get_once(url, range)?;
        for _ in 0..MAX_REDIRECTS {
            match answer.redirect_target() {
                None => return Ok(answer),
                Some(target) => answer = self.get_once(&target?, range)?,
            }
        }
        match answer.redirect_target() {
            None => Ok(answer),
            Some(_) => Err(format!(
                "more than {MAX_REDIRECTS} redirects from {url} (a redirect loop?)"
            )),
        }
    }

    /// A GET whose 2xx answer is JSON.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, url: &Uri) -> Result<T, String> {
        let mut answer = self.get(url, None)?;
        if !answer.status().is_success() {
            let status = answer.status();
            let detail = answer
                .response
                .body_mut()
                .with_config()
                .limit(4096)
                .read_to_string()
                .ok()
                .and_then(|body| {
                    serde_json::from_str::<serde_json::Value>(&body)
                        .ok()?
                        .get("error")?
                        .as_str()
                        .map(str::to_string)
                })
                .map(|error| format!(": {error}"))
                .unwrap_or_default();
            return Err(format!("{} answered {status}{detail}", answer.url));
        }
        let body = answer
            .response
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_to_vec()
            .map_err(|error| describe(&answer.url, &error))?;
        serde_json::from_slice(&body)
            .map_err(|error| format!("{} sent JSON that does not parse: {error}", answer.url))
    }
}

pub(crate) fn describe(url: &Uri, error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => format!("{url}: no answer in time ({error})"),
        _ => format!("{url}: {error}"),
    }
}

/// Parses a URL built from the endpoint.
pub(crate) fn parse(url: &str) -> Result<Uri, String> {
    url.parse()
        .map_err(|error| format!("`{url}` is not a URL: {error}"))
}

/// Resolves a `Location` against the URL that sent it: absolute,
/// scheme-relative (`//host/...`) or absolute-path (`/...`) forms, the ones
/// servers send.
fn resolve(base: &Uri, location: &str) -> Result<Uri, String> {
    let bad = || format!("{base} redirected to `{}`", location.escape_debug());
    let scheme = base.scheme_str().unwrap_or("https");
    let absolute = if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        let authority = base.authority().ok_or_else(bad)?;
        format!("{scheme}://{authority}{location}")
    } else {
        return Err(format!("{}: only absolute redirects are followed", bad()));
    };
    let uri: Uri = absolute.parse().map_err(|_| bad())?;
    Origin::of(&uri).ok_or_else(bad)?;
    Ok(uri)
}

/// Percent-encodes a path's segments for a URL, keeping the `/` between
/// them (file names) or encoding it too (a revision is one segment).
pub(crate) fn encode(text: &str, keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) || (keep_slash && byte == b'/') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let of = |url: &str| Origin::of(&url.parse().unwrap());
        assert_eq!(
            of("https://huggingface.co/x"),
            of("https://HuggingFace.co:443/y")
        );
        assert_ne!(
            of("https://huggingface.co/x"),
            of("http://huggingface.co/x")
        );
        assert_ne!(of("http://127.0.0.1:1000/"), of("http://127.0.0.1:1001/"));
        assert_ne!(
            of("https://huggingface.co/"),
            of("https://cdn-lfs.huggingface.co/")
        );
    }

    #[test]
    fn redirects_resolve_against_the_sending_url() {
        let base: Uri = "http://127.0.0.1:9/api/a?b=c".parse().unwrap();
        let to = |location: &str| resolve(&base, location).map(|uri| uri.to_string());
        assert_eq!(to("/d/e").unwrap(), "http://127.0.0.1:9/d/e");
        assert_eq!(to("//cdn.example/f").unwrap(), "http://cdn.example/f");
        assert_eq!(
            to("https://cdn.example/g?h").unwrap(),
            "https://cdn.example/g?h"
        );
        assert!(to("file:///etc/passwd").is_err());
        assert!(to("relative/path").is_err());
    }

    #[test]
    fn encoding_keeps_plain_characters() {
        assert_eq!(
            encode("refs/convert/parquet", false),
            "refs%2Fconvert%2Fparquet"
        );
        assert_eq!(encode("data/a b#c.parquet", true), "data/a%20b%23c.parquet");
    }
}
