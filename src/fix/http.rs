//! Plain HTTP GETs, for the stores behind a URL or in a bucket and for the checksum database:
//! one agent (rustls, timeouts per phase), bodies read at most to a cap and streamed to disk
//! when they go to a file, stopping within a chunk once the run's cancel token is set. 404 and
//! 410 are go's "not found", not errors. Errors say why, never the URL: a signed URL must not
//! reach a log; callers name what they asked for.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::cache::cancel::CancelToken;

/// Why a download stopped before its end: its cancel token was set (Ctrl-C, SIGTERM).
pub(super) const STOPPED: &str = "stopped: interrupted";

/// The agent every request goes through. A server that does not answer fails the request
/// within minutes; a body may take half an hour, since a zip of go's largest size (500 MiB)
/// over a slow link takes many minutes to come.
pub(super) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_recv_body(Some(Duration::from_secs(30 * 60)))
        .build()
        .into()
}

fn call(
    agent: &ureq::Agent,
    url: &str,
) -> Result<Option<ureq::http::Response<ureq::Body>>, String> {
    match agent.get(url).call() {
        Ok(response) => Ok(Some(response)),
        Err(ureq::Error::StatusCode(404 | 410)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// GETs `url`: its body, at most `cap` bytes, or `None` when it is not found.
pub(super) fn get(agent: &ureq::Agent, url: &str, cap: u64) -> Result<Option<Vec<u8>>, String> {
    let Some(response) = call(agent, url)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_with_config()
        .limit(cap)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(Some(bytes))
}

/// GETs `url` into the new file `to` (created exclusively), at most `cap` bytes; `false` when
/// it is not found (and no file is made). Once `cancel` is set the download stops at its next
/// chunk, with [`STOPPED`], and the file holds what came until then.
pub(super) fn get_to(
    agent: &ureq::Agent,
    url: &str,
    cap: u64,
    to: &Path,
    cancel: &CancelToken,
) -> Result<bool, String> {
    let Some(response) = call(agent, url)? else {
        return Ok(false);
    };
    let mut reader = Stoppable {
        inner: response.into_body().into_with_config().limit(cap).reader(),
        cancel,
    };
    let mut file =
        std::fs::File::create_new(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::copy(&mut reader, &mut file).map_err(|e| e.to_string())?;
    file.flush()
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok(true)
}

/// A body that fails at its next read once the token is set, so that a download in flight
/// stops within one chunk of a Ctrl-C rather than when it ends (a zip may take minutes).
struct Stoppable<'a, R> {
    inner: R,
    cancel: &'a CancelToken,
}

impl<R: Read> Read for Stoppable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.is_cancelled() {
            // Not ErrorKind::Interrupted: `io::copy` would retry that.
            return Err(std::io::Error::other(STOPPED));
        }
        self.inner.read(buf)
    }
}
