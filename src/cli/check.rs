//! Flag values checked before anything else runs.
//!
//! A bad value (`--older-than 1m`, `--max-size 0`, a malformed pattern) is a usage error, and
//! the user must see it as one whatever state the machine is in: before the cache is looked
//! for, the demo is built or the state database is opened. Each subcommand parses its values
//! again where it uses them; this only makes sure that parse cannot fail late. The
//! `MODULE@VERSION` arguments of `refetch` and `diff` are read here for both.

use super::{Cli, Command, GocacheAction, TrashAction};
use crate::cache::filter::Filter;
use crate::cache::{ModuleKey, semver};
use crate::ops::policy::{parse_duration, parse_size};

/// The first bad flag value of `cli`, as the subcommand itself would word it.
pub fn flag_values(cli: &Cli) -> anyhow::Result<()> {
    // The build cache and stores have no trash to keep.
    let keeps_trash = !matches!(cli.command, Some(Command::Gocache(_) | Command::Proxy(_)));
    if keeps_trash && cli.trash_keep.trim() != "never" {
        parse_duration(cli.trash_keep.trim())
            .map_err(|e| anyhow::anyhow!("invalid --trash-keep: {e}"))?;
    }
    let Some(command) = &cli.command else {
        return Ok(());
    };
    match command {
        Command::Clean(args) => {
            args.policies()?;
            patterns(&args.patterns)?;
        }
        Command::Verify(args) => {
            patterns(&args.patterns)?;
            parse_duration(&args.rehash_after)?;
        }
        Command::List(args) => {
            args.filter.as_deref().map(Filter::parse).transpose()?;
        }
        Command::History(args) => {
            args.since.as_deref().map(parse_duration).transpose()?;
        }
        Command::Trash(args) => {
            if let TrashAction::Empty { older_than, .. } = &args.action {
                older_than.as_deref().map(parse_duration).transpose()?;
            }
        }
        Command::Refetch(args) => {
            if !args.broken && args.modules.is_empty() {
                anyhow::bail!("say what to repair: --broken, or MODULE@VERSION arguments");
            }
            for text in &args.modules {
                module_version(text)?;
            }
        }
        Command::Diff(args) => {
            module_version(&args.target)?;
        }
        Command::Gocache(args) => {
            if let Some(GocacheAction::Clean(clean)) = &args.action {
                clean
                    .older_than
                    .as_deref()
                    .map(parse_duration)
                    .transpose()?;
                clean.max_size.as_deref().map(parse_size).transpose()?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A `MODULE@VERSION` argument: a module path go accepts and a canonical version.
pub fn module_version(text: &str) -> anyhow::Result<ModuleKey> {
    let (path, version) = text
        .split_once('@')
        .ok_or_else(|| anyhow::anyhow!("invalid argument {text:?}: want MODULE@VERSION"))?;
    if let Err(why) = crate::cache::module::check_path(path) {
        anyhow::bail!("invalid argument {text:?}: malformed module path: {why}");
    }
    if semver::canonical(version).as_deref() != Some(version) {
        anyhow::bail!("invalid argument {text:?}: {version:?} is not a canonical version");
    }
    Ok(ModuleKey {
        path: path.to_owned(),
        version: version.to_owned(),
    })
}

fn patterns(texts: &[String]) -> anyhow::Result<()> {
    Filter::parse_patterns(texts)?;
    Ok(())
}
