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
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
            ) {
                let command = subcommand_named(std::env::args().skip(1));
                modlens::cache::fmt::write_stderr(&format!(
                    "modlens: `modlens {command}` needs a subcommand (see `modlens {command} \
                     --help`)\n"
                ));
                return ExitCode::from(2);
            }
            let text = e.render().to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
            // A line ending in ':' announces a list (the missing arguments), indented below.
            if message.ends_with(':') {
                let listed: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' ') && !l.trim().is_empty())
                    .map(str::trim)
                    .collect();
                message = format!("{} {}", message, listed.join(", "));
            }
            modlens::cache::fmt::write_stderr(&format!(
                "modlens: {} (see `modlens --help`)\n",
                message.trim_end()
            ));
            ExitCode::from(2)
        }
    }
}

/// The subcommands named in `args` (`proxy`, `trash list`, ...), as clap knows them.
fn subcommand_named(args: impl Iterator<Item = String>) -> String {
    use clap::CommandFactory;
    let mut command = modlens::cli::Cli::command();
    let mut names = Vec::new();
    for arg in args {
        let Some(sub) = command.find_subcommand(&arg).cloned() else {
            continue;
        };
        names.push(sub.get_name().to_owned());
        command = sub;
    }
    names.join(" ")
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
