//! The build cache against the real go: a cache go filled is accounted to the byte (as `du`)
//! and verifies clean; a flipped byte in an output archive is found (and go, shown here,
//! reuses it as is), a truncated output and a garbled action entry are found, `clean --broken`
//! lets go rebuild them, and a trim racing `go build` corrupts neither.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::go::{Go, du};
use crate::support::{age_files as age, assert_ok, modlens, stderr, stdout};

/// A module with a library package and two programs, built and tested by go into the
/// sandbox's GOCACHE (which starts as a copy of one go filled for the same module, so that the
/// standard library is compiled once per run, not once per test).
pub(crate) fn setup(test: &str) -> Option<(Go, PathBuf)> {
    let template = template()?;
    let go = Go::with_own_gocache(test)?;
    crate::support::copy_tree(&template.join("."), &go.gocache);
    let app = write_app(&go);
    assert_ok(&build(&go, &app), "go build");
    assert_ok(&run_go(&go, &app, &["test", "./..."]), "go test");
    Some((go, app))
}

/// The build cache every test's starts from, filled by go once per run (under the target dir,
/// where a later run fills it faster).
fn template() -> Option<&'static Path> {
    static TEMPLATE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let mut go = Go::with_own_gocache("the build cache template")?;
            // One per go release: a template shared by releases would grow with each, and
            // every test copies it whole.
            let version = stdout(&run_go(&go, go.sandbox.path(), &["env", "GOVERSION"]));
            go.gocache = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("gocache-template-{}", version.trim()));
            fs::create_dir_all(&go.gocache).unwrap();
            // A module of its own, importing what the app imports from the standard library:
            // the template holds nothing of the app, whose entries the tests look for.
            let dir = go.workdir().join("template");
            fs::create_dir_all(&dir).unwrap();
            fs::write(
                dir.join("go.mod"),
                "module example.com/template\n\ngo 1.18\n",
            )
            .unwrap();
            fs::write(
                dir.join("main.go"),
                "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n",
            )
            .unwrap();
            fs::write(
                dir.join("main_test.go"),
                "package main\n\nimport \"testing\"\n\nfunc TestOne(t *testing.T) {}\n",
            )
            .unwrap();
            assert_ok(&build(&go, &dir), "go build");
            assert_ok(&run_go(&go, &dir, &["test", "./..."]), "go test");
            Some(go.gocache)
        })
        .as_deref()
}

/// Writes the module into the sandbox's work dir.
fn write_app(go: &Go) -> PathBuf {
    let app = go.workdir().join("app");
    let files = [
        ("go.mod", "module example.com/app\n\ngo 1.18\n"),
        (
            "lib/lib.go",
            "package lib\n\n// ModlensProbeFunc is found in the compiled archive.\nfunc ModlensProbeFunc(n int) int { return n*7 + 3 }\n",
        ),
        (
            "lib/lib_test.go",
            "package lib\n\nimport \"testing\"\n\nfunc TestProbe(t *testing.T) {\n\tif ModlensProbeFunc(1) != 10 {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n",
        ),
        (
            "cmd/one/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/app/lib\"\n)\n\nfunc main() { fmt.Println(lib.ModlensProbeFunc(2)) }\n",
        ),
        (
            "cmd/two/main.go",
            "package main\n\nimport \"example.com/app/lib\"\n\nfunc main() { println(lib.ModlensProbeFunc(3)) }\n",
        ),
    ];
    for (name, text) in files {
        let path = app.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    app
}

pub(crate) fn gocache(go: &Go) -> PathBuf {
    go.gocache.clone()
}

fn run_go(go: &Go, app: &Path, args: &[&str]) -> Output {
    go.command(args).current_dir(app).output().unwrap()
}

/// `go build -x` of every program into a fresh directory, so that go links them again from
/// the cached archives.
fn build(go: &Go, app: &Path) -> Output {
    let bin = go.sandbox.path().join("bin");
    let _ = fs::remove_dir_all(&bin);
    fs::create_dir_all(&bin).unwrap();
    let out = format!("{}/", bin.display());
    run_go(go, app, &["build", "-x", "-o", &out, "./..."])
}

pub(crate) fn ml(go: &Go, args: &[&str]) -> Output {
    go.modlens_bare(args)
        .arg("--dir")
        .arg(gocache(go))
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn kinds(report: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// The output holding the compiled library: an archive that names the probe function, and
/// neither the test (its test variant) nor `main.main` (a program calling it).
fn library_archive(go: &Go) -> PathBuf {
    walkdir::WalkDir::new(gocache(go))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.to_string_lossy().ends_with("-d"))
        .find(|p| {
            let bytes = fs::read(p).unwrap();
            bytes.starts_with(b"!<arch>\n")
                && bytes.windows(16).any(|w| w == b"ModlensProbeFunc")
                && !bytes.windows(9).any(|w| w == b"TestProbe")
                && !bytes.windows(9).any(|w| w == b"main.main")
        })
        .expect("the library's archive is in the build cache")
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_build_cache_go_filled_is_counted_like_du_and_verifies_clean() {
    let Some((go, _app)) = setup("a_build_cache_go_filled") else {
        return;
    };
    age(&gocache(&go));
    let listed = json(&ml(&go, &["gocache", "list", "--json"]));
    assert_eq!(
        listed["totals"]["disk_bytes"].as_u64().unwrap(),
        du(&gocache(&go), false)
    );
    // `gocache --json` is `gocache list --json`.
    assert_eq!(
        json(&ml(&go, &["gocache", "--json"]))["totals"],
        listed["totals"]
    );
    assert_eq!(
        listed["totals"]["apparent_bytes"].as_u64().unwrap(),
        du(&gocache(&go), true)
    );
    assert!(
        listed["outputs"]["count"].as_u64().unwrap() > 3,
        "{listed:#}"
    );
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(kinds(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["in_flight"], 0);
    assert_eq!(
        report["summary"]["outputs_hashed"], listed["outputs"]["count"],
        "every output was hashed"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn damage_is_found_explained_and_cleaned_and_go_rebuilds() {
    let Some((go, app)) = setup("damage_is_found_explained_and_cleaned") else {
        return;
    };
    age(&gocache(&go));
    // A flipped byte in the library's archive, size unchanged.
    let archive = library_archive(&go);
    let mut bytes = fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(&archive, &bytes).unwrap();
    age(&gocache(&go));
    // What go does: it reuses the archive without compiling the library again.
    let out = build(&go, &app);
    let log = stderr(&out);
    assert!(
        !log.lines()
            .any(|l| l.contains("compile") && l.contains("example.com/app/lib")),
        "go compiled the library again instead of reusing the cached archive:\n{log}"
    );
    age(&gocache(&go));
    let report = json(&ml(&go, &["gocache", "verify", "--json"]));
    assert_eq!(kinds(&report), ["output_corrupt"], "{report:#}");
    let problem = &report["problems"][0];
    assert!(
        problem["go_does"].as_str().unwrap().contains("reuses it"),
        "{problem:#}"
    );

    // A truncated output and a garbled action entry.
    let other = walkdir::WalkDir::new(gocache(&go))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.to_string_lossy().ends_with("-d") && *p != archive)
        .find(|p| fs::metadata(p).unwrap().len() > 100)
        .unwrap();
    let len = fs::metadata(&other).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    // Not the action entry of the archive or of the truncated output: their findings stay.
    let output_id = |p: &std::path::Path| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.trim_end_matches("-d").to_owned()
    };
    let (archive_id, other_id) = (output_id(&archive), output_id(&other));
    let action = walkdir::WalkDir::new(gocache(&go))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.to_string_lossy().ends_with("-a"))
        .find(|p| {
            let entry = fs::read_to_string(p).unwrap_or_default();
            !entry.contains(&archive_id) && !entry.contains(&other_id)
        })
        .unwrap();
    fs::write(&action, "v1 garbage\n").unwrap();
    age(&gocache(&go));
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let found = kinds(&json(&out));
    for kind in ["action_invalid", "output_corrupt"] {
        assert!(found.contains(&kind.to_owned()), "{kind}: {found:?}");
    }
    assert!(
        found
            .iter()
            .any(|k| k == "output_size_mismatch" || k == "output_corrupt"),
        "the truncated output: {found:?}"
    );
    // The explorer's rows: one per problem, each with a name of its own (marks are by name).
    let overview =
        modlens::ops::gocache::overview(&crate::support::pools(2), &gocache(&go)).unwrap();
    let labels: Vec<&str> = overview
        .groups
        .iter()
        .filter(|g| g.problem)
        .map(|g| g.label.as_str())
        .collect();
    assert_eq!(labels.len(), found.len(), "{labels:?} {found:?}");
    let distinct: std::collections::HashSet<&&str> = labels.iter().collect();
    assert_eq!(distinct.len(), labels.len(), "{labels:?}");
    // The rows that are not problems or orphans partition the cache: they add up to du's total.
    let partition: u64 = overview
        .groups
        .iter()
        .filter(|g| !g.problem && g.label != "orphan outputs")
        .map(|g| g.bytes)
        .sum();
    assert_eq!(partition, du(&gocache(&go), false), "{:?}", overview.groups);
    assert_eq!(partition, overview.total_bytes);

    let out = ml(&go, &["gocache", "clean", "--broken", "--yes"]);
    assert_ok(&out, "gocache clean --broken");
    assert!(!archive.exists());
    // go builds (compiling the library again) and tests, and the cache verifies clean.
    let out = build(&go, &app);
    assert_ok(&out, "go build after the clean");
    assert!(
        stderr(&out)
            .lines()
            .any(|l| l.contains("compile") && l.contains("example.com/app/lib")),
        "{}",
        stderr(&out)
    );
    assert_ok(
        &run_go(&go, &app, &["test", "./..."]),
        "go test after the clean",
    );
    age(&gocache(&go));
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(kinds(&json(&out)), Vec::<String>::new(), "{}", stdout(&out));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_trim_racing_go_build_corrupts_neither() {
    let Some((go, app)) = setup("a_trim_racing_go_build") else {
        return;
    };
    // go builds afresh (-a; the program without fmt, to keep it short) while modlens trims the cache down to nothing, again and
    // again until go is done (at least three times).
    let mut builds = Command::new("sh");
    builds
        .arg("-c")
        .arg("\"$GO\" build -a -o /dev/null ./cmd/two")
        .current_dir(&app);
    go.sandbox_env(&mut builds);
    builds.env("GO", crate::support::go::go_binary().unwrap());
    let mut builds = builds.spawn().unwrap();
    let mut trims = 0;
    let built = loop {
        let running = builds.try_wait().unwrap();
        if let Some(status) = running.filter(|_| trims >= 3) {
            break status;
        }
        let out = ml(&go, &["gocache", "clean", "--max-size", "1", "--yes"]);
        assert_ok(&out, "gocache clean --max-size 1");
        trims += 1;
    };
    assert!(built.success(), "go build while trimming ({trims} trims)");
    assert_ok(&build(&go, &app), "go build after the trims");
    age(&gocache(&go));
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(kinds(&json(&out)), Vec::<String>::new(), "{}", stdout(&out));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn bad_input_to_gocache_is_a_one_line_error_and_changes_nothing() {
    let Some((go, _app)) = setup("bad_input_to_gocache") else {
        return;
    };
    let before = crate::support::fingerprint(&gocache(&go));
    for args in [
        &["gocache", "clean", "--yes"][..],
        &["gocache", "clean", "--older-than", "soon", "--yes"],
        &["gocache", "clean", "--max-size", "0", "--yes"],
        &["gocache", "clean", "--max-size", "1"],
    ] {
        let out = ml(&go, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim().lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = modlens(&["gocache"])
        .env("GOCACHE", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("GOCACHE=off"), "{}", stderr(&out));
    assert_eq!(crate::support::fingerprint(&gocache(&go)), before);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn hostile_build_cache_entries_are_judged_without_following_or_hanging() {
    let Some((go, _app)) = setup("hostile_build_cache_entries") else {
        return;
    };
    let cache = gocache(&go);
    let outside = go.sandbox.path().join("outside.txt");
    fs::write(&outside, "not the cache's").unwrap();
    let name = |c: char, kind: char| format!("{c}{c}/{}-{kind}", c.to_string().repeat(64));
    // A link where an output belongs, a FIFO, and an action entry of 50 MB (sparse).
    std::os::unix::fs::symlink(&outside, cache.join(name('a', 'd'))).unwrap();
    let fifo = cache.join(name('b', 'd'));
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let huge = fs::File::create(cache.join(name('c', 'a'))).unwrap();
    huge.set_len(50 << 20).unwrap();
    age(&cache);
    let started = std::time::Instant::now();
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "no hang on the FIFO"
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(kinds(&report), ["action_invalid"], "{report:#}");
    assert!(
        report["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("too long")
    );
    let listed = json(&ml(&go, &["gocache", "list", "--json"]));
    let unrecognized = listed["other"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "unrecognized")
        .count();
    assert_eq!(unrecognized, 2, "the link and the FIFO: {listed:#}");
    assert_ok(
        &ml(&go, &["gocache", "clean", "--broken", "--yes"]),
        "clean --broken",
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "not the cache's");
    assert!(
        fs::symlink_metadata(cache.join(name('a', 'd'))).is_ok(),
        "never removed as an output"
    );
    assert!(!cache.join(name('c', 'a')).exists(), "the huge entry went");
}

/// Ages `age` and the cached executables' directories (whose mtime go bumps as their use).
fn age_all(cache: &Path) {
    age(cache);
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    for dir in cached_executables(cache) {
        fs::File::open(&dir)
            .unwrap()
            .set_times(std::fs::FileTimes::new().set_modified(then))
            .unwrap();
    }
}

/// `go run` caches the executable (go 1.24 and later) as a `-d` directory holding one file.
fn cached_executables(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for sub in fs::read_dir(cache).unwrap().flatten() {
        if !sub.file_type().unwrap().is_dir() || sub.file_name().len() != 2 {
            continue;
        }
        for e in fs::read_dir(sub.path()).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() && e.file_name().to_string_lossy().ends_with("-d") {
                found.push(e.path());
            }
        }
    }
    found
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn what_modern_go_writes_is_counted_judged_and_trimmed() {
    let Some((go, app)) = setup("what_modern_go_writes_is_counted_judged_and_trimmed") else {
        return;
    };
    assert_ok(&run_go(&go, &app, &["run", "./cmd/one"]), "go run");
    assert_ok(
        &run_go(&go, &app, &["clean", "-testcache"]),
        "go clean -testcache",
    );
    let cache = gocache(&go);
    age_all(&cache);
    let listed = json(&ml(&go, &["gocache", "list", "--json"]));
    assert_eq!(
        listed["totals"]["disk_bytes"].as_u64().unwrap(),
        du(&cache, false)
    );
    let text = stdout(&ml(&go, &["gocache", "list"]));
    assert!(!text.contains("unrecognized"), "every name is go's: {text}");
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // Ask the go under test whether it caches executables; go 1.19 does not.
    let executables = cached_executables(&cache);
    let version = stdout(&run_go(&go, &app, &["env", "GOVERSION"]));
    if executables.is_empty() {
        eprintln!(
            "{}: caches no executables; nothing more to check",
            version.trim()
        );
        return;
    }
    // A cached executable damaged in place (same size) is found, cleaned, and go runs again.
    let dir = &executables[0];
    let exe = fs::read_dir(dir).unwrap().flatten().next().unwrap().path();
    crate::support::make_writable(dir);
    let mut bytes = fs::read(&exe).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&exe, &bytes).unwrap();
    age_all(&cache);
    let out = ml(&go, &["gocache", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(kinds(&json(&out)).contains(&"output_corrupt".to_owned()));
    let out = ml(&go, &["gocache", "clean", "--broken", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.exists(), "the -d directory is removed");
    assert_eq!(ml(&go, &["gocache", "verify"]).status.code(), Some(0));
    assert_ok(
        &run_go(&go, &app, &["run", "./cmd/one"]),
        "go run after the clean",
    );
}
