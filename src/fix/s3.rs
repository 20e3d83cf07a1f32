//! A store in an S3-compatible bucket (`s3://bucket/prefix`): listed, read object by object,
//! and cleaned by copying to a trash prefix before deleting. Requests are signed with AWS
//! Signature V4 (`rusty-s3`, sans-IO) from the usual variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`; none: unsigned, for a public
//! bucket) and sent with `ureq`. The endpoint is `--endpoint`, `AWS_ENDPOINT_URL_S3`,
//! `AWS_ENDPOINT_URL` or AWS's own; path-style addressing is `--path-style`, and the only way
//! to reach a bucket by IP address or on localhost.

use std::path::Path;
use std::time::Duration;

use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Credentials, UrlStyle};

use super::error::FixError;
use super::http;
use crate::cache::cancel::CancelToken;

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

/// Where the trash of a store at a prefix goes: beside it, as `<store>.modlens-trash` is beside
/// a directory store.
const TRASH_SUFFIX: &str = ".modlens-trash";

/// A bucket and the prefix a store lives under.
pub struct Bucket {
    bucket: rusty_s3::Bucket,
    credentials: Option<Credentials>,
    agent: ureq::Agent,
    /// The store's prefix in the bucket (empty, or ending in `/`).
    pub prefix: String,
    /// The store as the user named it.
    pub shown: String,
}

/// One object of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its key below the store's prefix.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag: identifies the object unchanged, never trusted as a hash.
    pub etag: String,
}

/// Whether `store` names a bucket.
pub fn is_s3(store: &str) -> bool {
    store.starts_with("s3://")
}

impl Bucket {
    /// The bucket `url` (`s3://bucket[/prefix]`) names, reached at `endpoint` (or the one the
    /// environment, read through `var`, names), path-style when `path_style`.
    pub fn open(
        url: &str,
        endpoint: Option<&str>,
        path_style: bool,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Bucket, FixError> {
        let bad = |why: String| FixError::Store(format!("{url}: {why}"));
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("not an s3:// URL".into()))?;
        let (name, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if name.is_empty() {
            return Err(bad("no bucket name".into()));
        }
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let set = |n: &str| var(n).filter(|v| !v.trim().is_empty());
        let region = set("AWS_REGION")
            .or_else(|| set("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = endpoint
            .map(str::to_owned)
            .or_else(|| set("AWS_ENDPOINT_URL_S3"))
            .or_else(|| set("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint: url::Url = endpoint
            .parse()
            .map_err(|e| bad(format!("endpoint {endpoint}: {e}")))?;
        // A bucket cannot be a subdomain of an address.
        let by_address = matches!(
            endpoint.host(),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) | Some(url::Host::Domain("localhost"))
        );
        let style = if path_style || by_address {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = rusty_s3::Bucket::new(endpoint, style, name.to_owned(), region)
            .map_err(|e| bad(e.to_string()))?;
        let credentials = match (set("AWS_ACCESS_KEY_ID"), set("AWS_SECRET_ACCESS_KEY")) {
            (Some(key), Some(secret)) => Some(match set("AWS_SESSION_TOKEN") {
                Some(token) => Credentials::new_with_token(key, secret, token),
                None => Credentials::new(key, secret),
            }),
            _ => None,
        };
        Ok(Bucket {
            bucket,
            credentials,
            agent: http::agent(),
            prefix,
            shown: url.to_owned(),
        })
    }

    /// What names the store in the state database: its URL and where it was reached.
    pub fn id(&self) -> String {
        format!("{} at {}", self.shown, self.bucket.base_url())
    }

    /// Every object below the prefix, page by page (the store's trash excluded); `cancel`
    /// stops it between pages, with the objects listed until then.
    pub fn list(&self, cancel: &CancelToken) -> Result<Vec<Object>, FixError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            if cancel.is_cancelled() {
                return Ok(objects);
            }
            let mut action: ListObjectsV2<'_> =
                self.bucket.list_objects_v2(self.credentials.as_ref());
            if !self.prefix.is_empty() {
                action.with_prefix(self.prefix.as_str());
            }
            if let Some(token) = &token {
                action.with_continuation_token(token.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let body = http::get(&self.agent, url.as_str(), 64 << 20)
                .map_err(|why| self.failed("list", &why))?
                .ok_or_else(|| self.failed("list", "no such bucket"))?;
            let page = ListObjectsV2::parse_response(&String::from_utf8_lossy(&body))
                .map_err(|e| self.failed("list", &format!("not S3's answer: {e}")))?;
            for object in page.contents {
                let Some(key) = object.key.strip_prefix(&self.prefix) else {
                    continue;
                };
                if key.is_empty() || key.starts_with(TRASH_SUFFIX) {
                    continue;
                }
                objects.push(Object {
                    key: key.to_owned(),
                    size: object.size.unwrap_or(0),
                    etag: object.etag.unwrap_or_default(),
                });
            }
            match page.next_continuation_token {
                // A token seen before would list forever.
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }

    /// Streams the object `key` into the new file `to`, at most `cap` bytes, stopping at the
    /// next chunk once `cancel` is set.
    pub fn get_to(
        &self,
        key: &str,
        cap: u64,
        to: &Path,
        cancel: &CancelToken,
    ) -> Result<(), FixError> {
        match http::get_to(&self.agent, self.object_url(key).as_str(), cap, to, cancel) {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.failed(key, "no such object")),
            Err(why) => Err(self.failed(key, &why)),
        }
    }

    /// The object `key`'s bytes (a small one: `@v/list`), or `None` when there is none.
    pub fn get_small(&self, key: &str) -> Result<Option<Vec<u8>>, FixError> {
        http::get(&self.agent, self.object_url(key).as_str(), 16 << 20)
            .map_err(|why| self.failed(key, &why))
    }

    /// A signed GET of the object `key`.
    fn object_url(&self, key: &str) -> url::Url {
        let full = format!("{}{key}", self.prefix);
        self.bucket
            .get_object(self.credentials.as_ref(), &full)
            .sign(SIGNED_FOR)
    }

    /// Writes `bytes` as the object `key` (one PUT: readers see the old or the new object).
    pub fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FixError> {
        let full = format!("{}{key}", self.prefix);
        let url = self
            .bucket
            .put_object(self.credentials.as_ref(), &full)
            .sign(SIGNED_FOR);
        self.call_with(self.agent.put(url.as_str()), bytes, key)
    }

    /// Copies the object `key` to `to` (both below the bucket's root), server side.
    pub fn copy(&self, key: &str, to: &str) -> Result<(), FixError> {
        let from = format!("{}/{}{key}", self.bucket.name(), self.prefix);
        let source = encode_path(&from);
        let mut action = self.bucket.put_object(self.credentials.as_ref(), to);
        action
            .headers_mut()
            .insert("x-amz-copy-source", source.clone());
        let url = action.sign(SIGNED_FOR);
        let request = self
            .agent
            .put(url.as_str())
            .header("x-amz-copy-source", &source);
        self.call_with(request, &[], key)
    }

    /// Deletes the object `key`.
    pub fn delete(&self, key: &str) -> Result<(), FixError> {
        let full = format!("{}{key}", self.prefix);
        let url = self
            .bucket
            .delete_object(self.credentials.as_ref(), &full)
            .sign(SIGNED_FOR);
        self.agent
            .delete(url.as_str())
            .call()
            .map(|_| ())
            .map_err(|e| self.failed(key, &e.to_string()))
    }

    /// The prefix (below the bucket's root) of the trash for run `run`, and how it is shown.
    pub fn trash_prefix(&self, run: &str) -> (String, String) {
        let base = match self.prefix.trim_end_matches('/') {
            "" => TRASH_SUFFIX.to_owned(),
            p => format!("{p}{TRASH_SUFFIX}"),
        };
        let prefix = format!("{base}/{run}/");
        let shown = format!("s3://{}/{prefix}", self.bucket.name());
        (prefix, shown)
    }

    fn call_with(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
        body: &[u8],
        what: &str,
    ) -> Result<(), FixError> {
        request
            .send(body)
            .map(|_| ())
            .map_err(|e| self.failed(what, &e.to_string()))
    }

    fn failed(&self, what: &str, why: &str) -> FixError {
        FixError::Store(format!("{} ({what}): {why}", self.shown))
    }
}

/// `path` with every byte outside S3's unreserved set (and `/`) percent-encoded, as
/// `x-amz-copy-source` wants it.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_bucket_and_prefix() {
        let none = |_: &str| None;
        let b = Bucket::open(
            "s3://team-proxy/go/mods/",
            Some("http://127.0.0.1:9000"),
            false,
            &none,
        )
        .unwrap();
        assert_eq!(b.prefix, "go/mods/");
        assert_eq!(b.trash_prefix("r1").0, "go/mods.modlens-trash/r1/");
        let root = Bucket::open(
            "s3://team-proxy",
            Some("http://127.0.0.1:9000"),
            false,
            &none,
        )
        .unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.trash_prefix("r1").0, ".modlens-trash/r1/");
        assert!(Bucket::open("s3:///x", None, false, &none).is_err());
        assert_eq!(
            encode_path("b/github.com/x y@v1"),
            "b/github.com/x%20y%40v1"
        );
    }
}
