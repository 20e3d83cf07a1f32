//! The `modlens` binary: parse the arguments and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    modlens::run(modlens::cli::Cli::parse())
}
