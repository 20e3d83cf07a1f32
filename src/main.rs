//! The `modlens` binary: parse the arguments and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    raise_open_file_limit();
    modlens::tui::terminal::install_panic_hook();
    match modlens::cli::Cli::try_parse() {
        Ok(cli) => modlens::run(cli),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One line, as every other bad input: clap's first line, the argument escaped.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            modlens::cache::fmt::write_stderr(&format!(
                "modlens: {message} (see `modlens --help`)\n"
            ));
            ExitCode::from(2)
        }
    }
}

/// Raises the soft limit on open files to the hard limit, as the go command does at start.
/// Hashing walks each tree with one open directory per level, on every hashing thread; a
/// deep tree must not fail for want of descriptors under the common soft limit of 1,024.
fn raise_open_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(maximum)) = (limit.current, limit.maximum)
        && current < maximum
    {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            },
        );
    }
}
