//! Fault injection for crash-safety tests: named checkpoints in deletes and repairs.
//!
//! Inert unless `MODLENS_FAULT_AT` is set. `MODLENS_FAULT_AT=<checkpoint>` makes the process
//! SIGKILL itself when it reaches that checkpoint, exactly as a user's `kill -9` or a power cut
//! would stop it; `<checkpoint>:sleep<ms>` pauses there instead (to race a real go command), and
//! `<checkpoint>:panic` panics there. The fault tests use it to stop modlens between every two
//! steps of go's crash-safe order, and to see a panic contained.

use std::sync::OnceLock;
use std::time::Duration;

/// What to do at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fault {
    Kill(String),
    Sleep(String, u64),
    Panic(String),
}

fn configured() -> Option<&'static Fault> {
    static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
    FAULT
        .get_or_init(|| {
            let value = std::env::var("MODLENS_FAULT_AT").ok()?;
            if let Some(name) = value.strip_suffix(":panic") {
                return Some(Fault::Panic(name.to_owned()));
            }
            Some(match value.split_once(":sleep") {
                Some((name, ms)) => Fault::Sleep(name.to_owned(), ms.parse().unwrap_or(500)),
                None => Fault::Kill(value),
            })
        })
        .as_ref()
}

/// Marks a point between two steps of a destructive operation (or of a verification, where a
/// test makes modlens panic to see the panic contained).
pub fn checkpoint(name: &str) {
    match configured() {
        Some(Fault::Kill(at)) if at == name => {
            // SIGKILL cannot be caught: nothing runs after this, as with a real crash.
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
            std::thread::sleep(Duration::from_secs(60));
        }
        Some(Fault::Sleep(at, ms)) if at == name => std::thread::sleep(Duration::from_millis(*ms)),
        Some(Fault::Panic(at)) if at == name => panic!("fault injected at {name}"),
        _ => {}
    }
}
