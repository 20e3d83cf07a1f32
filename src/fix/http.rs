//! Plain HTTP GETs, for the stores behind a URL or in a bucket and for the checksum database:
//! one agent (rustls, a global timeout), bodies read at most to a cap and streamed to disk
//! when they go to a file. 404 and 410 are go's "not found", not errors. Errors say why, never
//! the URL: a signed URL must not reach a log; callers name what they asked for.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// The agent every request goes through.
pub(super) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
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
/// it is not found (and no file is made).
pub(super) fn get_to(agent: &ureq::Agent, url: &str, cap: u64, to: &Path) -> Result<bool, String> {
    let Some(response) = call(agent, url)? else {
        return Ok(false);
    };
    let mut reader = response.into_body().into_with_config().limit(cap).reader();
    let mut file =
        std::fs::File::create_new(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::copy(&mut reader, &mut file).map_err(|e| e.to_string())?;
    file.flush()
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok(true)
}
