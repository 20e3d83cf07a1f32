//! `modlens proxy clean STORE`: report first; with `--yes`, the versions proven wrong move into a
//! trash beside the store.

use std::process::ExitCode;

use super::verify::judge_all;
use super::{StoreCleanArgs, World};
use crate::cache::fmt::count;
use crate::cache::store::{Listing, Store};
use crate::cli::print;
use crate::verify::store::StoreVerdict;

pub(super) fn clean(
    world: &World<'_>,
    store: &Store,
    listing: Listing,
    args: &StoreCleanArgs,
) -> anyhow::Result<ExitCode> {
    if world.bucket.is_none() && crate::ops::store::is_module_cache(store) {
        anyhow::bail!(
            "{} is a module cache's download directory: repair it with `modlens refetch \
             --broken` (under go's locks, with its trees), not `proxy clean`",
            store.root.display()
        );
    }
    // Only the verdicts that matter here are kept.
    let mut verdicts: Vec<StoreVerdict> = Vec::new();
    let judged = judge_all(world, store, &listing, &args.store, &mut |chunk| {
        verdicts.extend(chunk.into_iter().filter(|v| v.status.is_wrong()));
        Ok(())
    })?;
    if judged.interrupted {
        safe_eprintln!("modlens: interrupted before every version was judged: nothing was moved");
        return Ok(ExitCode::from(1));
    }
    let wrong: Vec<&StoreVerdict> = verdicts.iter().collect();
    let mut text = String::new();
    for v in &wrong {
        text.push_str(&format!(
            "{:<12} {}@{}\n",
            v.status.name(),
            v.path,
            v.version
        ));
        for reason in &v.reasons {
            text.push_str(&format!("             {reason}\n"));
        }
    }
    if wrong.is_empty() {
        if !args.store.json {
            print("nothing proven wrong: nothing to clean\n")?;
        } else {
            print(&format!(
                "{}\n",
                serde_json::json!({ "plan": [], "moved": [], "failed": [] })
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if args.store.json {
            let plan: Vec<String> = wrong
                .iter()
                .map(|v| format!("{}@{}", v.path, v.version))
                .collect();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "plan": plan, "moved": [], "failed": [] })
                )?
            ))?;
        } else {
            text.push_str(&format!(
                "would move {} proven wrong into a trash beside the store (pass --yes); versions \
                 that could not be proven wrong are never moved\n",
                count(wrong.len() as u64, "version")
            ));
            print(&text)?;
        }
        return Ok(ExitCode::from(1));
    }
    let run = format!(
        "{}-{}",
        crate::ops::state::unix(crate::cache::clock::now()),
        std::process::id()
    );
    let cleaned = match world.bucket {
        Some(b) => crate::ops::store::clean_bucket(&b.bucket, &b.mirrored, &verdicts, &run),
        None => crate::ops::store::clean_store(store, &listing.versions, &verdicts, &run)?,
    };
    if args.store.json {
        print(&format!("{}\n", serde_json::to_string_pretty(&cleaned)?))?;
    } else {
        for (name, why) in &cleaned.failed {
            text.push_str(&format!("failed: {name}: {why}\n"));
        }
        text.push_str(&format!(
            "moved {} into {} (move them back to undo)\n",
            count(cleaned.moved.len() as u64, "version"),
            cleaned
                .trash
                .as_deref()
                .map_or_else(String::new, |t| t.display().to_string())
        ));
        print(&text)?;
    }
    Ok(if cleaned.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
