//! Running the user's own command for `explain -- COMMAND`: its output streamed to the
//! terminal as it comes, one reader per pipe on threads `ops` starts, a bounded tail kept for
//! the analysis, and the process group killed on cancel. Saved output (a file, a pipe) is read
//! to the same bounded tail.

use std::io::Read;
use std::process::{Command, Stdio};

use super::error::OpsError;
use crate::cache::cancel::CancelToken;

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
    use std::os::unix::process::CommandExt;
    let Some((program, args)) = argv.split_first() else {
        return Err(OpsError::go("no command to run"));
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| OpsError::go(format!("cannot run {program}: {e}")))?;
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
    let status = child
        .wait()
        .map_err(|e| OpsError::go(format!("waiting for {program}: {e}")))?;
    if killed {
        return Err(OpsError::go("cancelled"));
    }
    Ok(Streamed {
        status,
        tail: tail.into_bytes(),
    })
}

/// The last `cap` bytes of what `reader` gives until its end (go's output saved in a file, a
/// pipe, standard input), cut at a line start where it can be: a log of any length is read in
/// bounded memory, and go's errors, which come last, are kept.
pub fn read_tail(mut reader: impl Read, cap: usize) -> std::io::Result<Vec<u8>> {
    let mut tail = Tail::new(cap);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(tail.into_bytes()),
            Ok(n) => tail.push(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
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
