//! The house rules, checked on the source: layers point one way, only `ops` starts threads,
//! files stay small and say what they own.
//!
//! Layers, lowest first: `cache` (the model), `verify`, `fix` (the write kernel), `ops` (the
//! engine: pools, jobs, plans), `tui`, `cli`. A module may name its own layer and those below
//! it, never one above.

use std::path::{Path, PathBuf};

const LAYERS: [&str; 6] = ["cache", "verify", "fix", "ops", "tui", "cli"];

/// Where threads and pools may be created: the one owner of concurrency.
const POOL_OWNER: &str = "src/ops/pools.rs";

/// Files outside `ops` that run parallel iterators, each on a pool it is handed (`pool:
/// &rayon::ThreadPool`, entered with `install`), never on rayon's global pool.
const HANDED_A_POOL: [&str; 3] = [
    "src/cache/scan.rs",
    "src/cache/discover.rs",
    "src/cache/gocache/scan.rs",
];

/// The most lines of code (not blank, not comments) a file may have.
const MAX_LINES: usize = 400;

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root.parent().unwrap())
                    .unwrap()
                    .to_path_buf();
                files.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "the source tree was not found");
    files
}

/// The code of a file without comments (doc comments name other layers in prose).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = line.split("//").next().unwrap_or("").trim();
        (!code.is_empty()).then_some((i + 1, code))
    })
}

fn layer_of(rel: &Path) -> Option<usize> {
    let top = rel.components().nth(1)?.as_os_str().to_str()?;
    LAYERS.iter().position(|l| *l == top)
}

#[test]
fn layers_point_one_way() {
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let Some(own) = layer_of(&rel) else {
            continue;
        };
        for (n, code) in code_lines(&text) {
            for (i, _) in code.match_indices("crate::") {
                let named = code[i + "crate::".len()..]
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("");
                match LAYERS.iter().position(|l| *l == named) {
                    Some(other) if other > own => wrong.push(format!(
                        "{}:{n}: {} names {named}",
                        rel.display(),
                        LAYERS[own]
                    )),
                    None => wrong.push(format!(
                        "{}:{n}: crate::{named} is in no layer (lib.rs holds only the layers)",
                        rel.display()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run back up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_ops_starts_threads_or_pools() {
    const STARTS: [&str; 9] = [
        "thread::spawn",
        "thread::Builder",
        "thread::scope",
        "ThreadPoolBuilder",
        "build_global",
        "rayon::spawn",
        "rayon::join",
        "rayon::scope",
        "rayon::broadcast",
    ];
    const PARALLEL: [&str; 4] = ["par_iter", "par_chunks", "par_bridge", "rayon::prelude"];
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let path = rel.to_string_lossy().replace('\\', "/");
        for (n, code) in code_lines(&text) {
            if path != POOL_OWNER
                && let Some(s) = STARTS.iter().find(|s| code.contains(*s))
            {
                wrong.push(format!(
                    "{path}:{n}: {s} (only {POOL_OWNER} starts threads)"
                ));
            }
            if !path.starts_with("src/ops/")
                && !HANDED_A_POOL.contains(&path.as_str())
                && let Some(s) = PARALLEL.iter().find(|s| code.contains(*s))
            {
                wrong.push(format!(
                    "{path}:{n}: {s} outside ops, on no pool it was handed"
                ));
            }
        }
    }
    for path in HANDED_A_POOL {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
        assert!(
            text.contains("pool: &rayon::ThreadPool") && text.contains(".install("),
            "{path} must run its parallel parts on the pool it is handed"
        );
    }
    assert!(
        wrong.is_empty(),
        "concurrency outside ops:\n{}",
        wrong.join("\n")
    );
}

/// The write kernel is synchronous: it names no pool, channel or thread; `ops` runs it.
#[test]
fn the_write_kernel_names_no_pool_or_channel() {
    const CONCURRENCY: [&str; 6] = [
        "Pools",
        "pools::",
        "crossbeam",
        "channel",
        "rayon",
        "thread::spawn",
    ];
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let path = rel.to_string_lossy().replace('\\', "/");
        if !path.starts_with("src/fix/") {
            continue;
        }
        for (n, code) in code_lines(&text) {
            if let Some(s) = CONCURRENCY.iter().find(|s| code.contains(*s)) {
                wrong.push(format!("{path}:{n}: {s}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the write kernel names concurrency:\n{}",
        wrong.join("\n")
    );
}

/// `ops` writes to no cache: every change to one is the write kernel's.
#[test]
fn ops_holds_no_write_to_a_cache() {
    const WRITES: [&str; 6] = [
        "Confined::open",
        "fs::remove",
        "fs::rename",
        "fs::write",
        "remove_dir_all",
        "set_permissions",
    ];
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let path = rel.to_string_lossy().replace('\\', "/");
        // The state database is modlens's own file, never in a cache.
        if !path.starts_with("src/ops/") || path.starts_with("src/ops/state/") {
            continue;
        }
        for (n, code) in code_lines(&text) {
            if let Some(s) = WRITES.iter().find(|s| code.contains(*s)) {
                wrong.push(format!("{path}:{n}: {s}"));
            }
        }
    }
    assert!(wrong.is_empty(), "writes in ops:\n{}", wrong.join("\n"));
}

#[test]
fn files_are_small_and_say_what_they_own() {
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let lines = code_lines(&text).count();
        if lines > MAX_LINES {
            wrong.push(format!("{}: {lines} lines of code", rel.display()));
        }
        if !text.starts_with("//!") {
            wrong.push(format!("{}: no //! paragraph on top", rel.display()));
        }
    }
    assert!(
        wrong.is_empty(),
        "files over {MAX_LINES} lines or without a doc paragraph:\n{}",
        wrong.join("\n")
    );
}

/// A module of a layer (`fix/delete`, `ops/jobs`), as the other modules name it.
fn module_of(rel: &Path) -> Option<String> {
    let parts: Vec<&str> = rel.iter().skip(1).filter_map(|p| p.to_str()).collect();
    let layer = *parts.first()?;
    let module = parts.get(1)?.trim_end_matches(".rs");
    Some(if module == "mod" {
        layer.to_owned()
    } else {
        format!("{layer}/{module}")
    })
}

/// The modules of its layer that a file names: `crate::<layer>::<m>`, and `super::<m>` from a
/// layer's top files (`super::super::<m>` one level down).
fn named_modules(rel: &Path, text: &str, known: &std::collections::HashSet<String>) -> Vec<String> {
    let depth = rel.iter().count() - 2;
    let layer = rel.iter().nth(1).and_then(|p| p.to_str()).unwrap_or("");
    let up = match depth {
        1 => "super::",
        2 => "super::super::",
        _ => "\u{0}",
    };
    let mut out = Vec::new();
    for (_, code) in code_lines(text) {
        for (i, _) in code.match_indices("crate::") {
            let mut words = code[i + "crate::".len()..].split("::");
            if let (Some(l), Some(m)) = (words.next(), words.next()) {
                let m: String = m
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(format!("{l}/{m}"));
            }
        }
        for (i, _) in code.match_indices(up) {
            // `super::super::x` also contains `super::x`: take the longest match only.
            if depth == 1 && code[..i].ends_with("super::") {
                continue;
            }
            let m: String = code[i + up.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(format!("{layer}/{m}"));
        }
    }
    out.retain(|m| known.contains(m));
    out
}

/// No two modules name each other, directly or through others. The explorer's `App` is one
/// state whose update is split across files that each add an `impl App`: they name `app`, and
/// `app` names none of them (the state they fill lives in `state` and `views`).
#[test]
fn no_import_circles_between_modules() {
    use std::collections::{HashMap, HashSet};
    let files = sources();
    let known: HashSet<String> = files.iter().filter_map(|(rel, _)| module_of(rel)).collect();
    let mut edges: HashMap<String, HashSet<String>> = HashMap::new();
    for (rel, text) in &files {
        let Some(me) = module_of(rel) else { continue };
        for other in named_modules(rel, text, &known) {
            if other != me {
                edges.entry(me.clone()).or_default().insert(other);
            }
        }
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = HashSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(at) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    let mut circles: Vec<String> = edges
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| (a, b)))
        .filter(|(a, b)| reaches(b, a))
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect();
    circles.sort();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}
