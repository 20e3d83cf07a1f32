//! Running the real go command on modlens's behalf: the user's settings with a module cache and
//! flags of modlens's choosing, output to files (no pipe to drain, no thread), and, on cancel,
//! the whole process group killed and waited for, so no go or git process outlives its job.

use std::path::Path;
use std::process::{Command, Stdio};

use super::error::OpsError;
use super::refetch::GoRunner;
use crate::cache::cancel::CancelToken;

/// A go command with the user's environment, `modcache` as GOMODCACHE, and `extra` flags
/// appended to the user's effective GOFLAGS, so that the user's own flags (from any source)
/// stay in force.
pub fn command(go: &GoRunner, modcache: &Path, extra: &str) -> Command {
    let flags = go
        .env
        .iter()
        .find(|(k, _)| k == "GOFLAGS")
        .map_or(go.goflags.as_str(), |(_, v)| v.as_str());
    let program = go
        .program
        .clone()
        .unwrap_or_else(crate::cache::goenv::go_program);
    let mut command = Command::new(program);
    command
        .envs(go.env.iter().map(|(k, v)| (k, v)))
        .env("GOMODCACHE", modcache)
        .env("GOFLAGS", format!("{flags} {extra}").trim());
    // Never switch (and download) a toolchain behind the user's back.
    let user = go
        .env
        .iter()
        .find(|(k, _)| k == "GOTOOLCHAIN")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("GOTOOLCHAIN").ok());
    if let Some(toolchain) = crate::cache::goenv::no_download_toolchain(user.as_deref()) {
        command.env("GOTOOLCHAIN", toolchain);
    }
    command
}

/// Runs `command` in its own process group, its output going to files in `workdir` (no pipe
/// to drain, no thread), and waits for it. When `cancel` is set, the whole group (go and the
/// git or other helpers it started) is killed and waited for, so no child outlives the job.
pub fn run(
    mut command: Command,
    workdir: &std::path::Path,
    cancel: &CancelToken,
) -> Result<std::process::Output, OpsError> {
    use std::os::unix::process::CommandExt;
    let go_error = |message: String| OpsError::Go { message };
    let file = |name: &str| {
        create_private_file(workdir, name)
            .map_err(|e| go_error(format!("{}: {e}", workdir.display())))
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file("stdout")?)
        .stderr(file("stderr")?)
        .process_group(0)
        .spawn()
        .map_err(|e| go_error(format!("cannot run go: {e} (is go on PATH?)")))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if cancel.is_cancelled() => {
                if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
                    let _ =
                        rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                }
                let _ = child.wait();
                return Err(go_error("cancelled".into()));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(go_error(format!("waiting for go: {e}"))),
        }
    };
    let read = |name: &str| std::fs::read(workdir.join(name)).unwrap_or_default();
    Ok(std::process::Output {
        status,
        stdout: read("stdout"),
        stderr: read("stderr"),
    })
}

/// A private temp directory for go's output files and copies, removed when dropped. Its name
/// is unpredictable and it is created exclusively with mode 0700 (`mkdtemp`), so another user
/// cannot prepare it or plant links in it.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates `$TMPDIR/modlens-<what>-<random>`.
    pub fn create(what: &str) -> Result<TempDir, OpsError> {
        tempfile::Builder::new()
            .prefix(&format!("modlens-{what}-"))
            .tempdir()
            .map(TempDir)
            .map_err(|e| OpsError::Go {
                message: format!("{}: {e}", std::env::temp_dir().display()),
            })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Creates `dir/name` for writing: a new file only, never through a link.
pub fn create_private_file(dir: &Path, name: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(dir.join(name))
}

/// What [`run_streaming`] keeps of a command's run.
#[derive(Debug)]
pub struct Streamed {
    /// How it ended.
    pub status: std::process::ExitStatus,
    /// The last lines of its output (both streams, as they came), at most the cap given.
    pub tail: Vec<u8>,
}

/// Runs the user's own command (`modlens explain -- go build ./...`) in the current directory,
/// handing each line of its output (standard output and error, as they come) to `sink` at
/// once, and keeping only the last `tail_cap` bytes of it: an endless command streams for ever
/// in bounded memory, writes nothing to disk, and is killed with its process group on cancel.
pub fn run_streaming(
    argv: &[String],
    cancel: &CancelToken,
    tail_cap: usize,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<Streamed, OpsError> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let Some((program, args)) = argv.split_first() else {
        return Err(OpsError::Go {
            message: "no command to run".into(),
        });
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| OpsError::Go {
            message: format!("cannot run {program}: {e}"),
        })?;
    let (tx, rx) = crossbeam_channel::bounded::<(usize, Vec<u8>)>(64);
    let pipes: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut tail = Tail::new(tail_cap);
    let mut partial: [Vec<u8>; 2] = Default::default();
    let mut killed = false;
    // One reader per pipe, so that neither fills while the other is read; they end with it.
    for (stream, mut pipe) in pipes.into_iter().enumerate() {
        let tx = tx.clone();
        super::pools::Pools::service(&format!("output-{stream}"), move || {
            let mut buf = vec![0u8; 16 << 10];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 || tx.send((stream, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        })?;
    }
    drop(tx);
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok((stream, bytes)) => {
                let pending = &mut partial[stream];
                pending.extend_from_slice(&bytes);
                // Whole lines go on at once; a line longer than 64 KiB goes on in pieces.
                let cut = match pending.iter().rposition(|b| *b == b'\n') {
                    Some(i) => i + 1,
                    None if pending.len() > 64 << 10 => pending.len(),
                    None => 0,
                };
                let lines: Vec<u8> = pending.drain(..cut).collect();
                if !lines.is_empty() {
                    sink(&lines);
                    tail.push(&lines);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        if cancel.is_cancelled() && !killed {
            if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            }
            killed = true;
        }
    }
    for rest in partial.iter().filter(|p| !p.is_empty()) {
        sink(rest);
        tail.push(rest);
    }
    let status = child.wait().map_err(|e| OpsError::Go {
        message: format!("waiting for {program}: {e}"),
    })?;
    if killed {
        return Err(OpsError::Go {
            message: "cancelled".into(),
        });
    }
    Ok(Streamed {
        status,
        tail: tail.into_bytes(),
    })
}

/// The last bytes of a stream, at most `cap`, cut at a line start where it can be.
struct Tail {
    bytes: std::collections::VecDeque<u8>,
    cap: usize,
}

impl Tail {
    fn new(cap: usize) -> Self {
        Tail {
            bytes: std::collections::VecDeque::new(),
            cap,
        }
    }

    fn push(&mut self, more: &[u8]) {
        let more = &more[more.len().saturating_sub(self.cap)..];
        self.bytes.extend(more);
        let excess = self.bytes.len().saturating_sub(self.cap);
        self.bytes.drain(..excess);
    }

    fn into_bytes(self) -> Vec<u8> {
        let bytes: Vec<u8> = self.bytes.into();
        // Drop a line cut at its start by the cap, unless that is all there is.
        match (
            bytes.len() == self.cap,
            bytes.iter().position(|b| *b == b'\n'),
        ) {
            (true, Some(i)) if i + 1 < bytes.len() => bytes[i + 1..].to_vec(),
            _ => bytes,
        }
    }
}
