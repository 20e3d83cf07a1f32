//! `modlens verify` against `go mod verify`: caches written by the real go, damaged in every way
//! the verifier knows, then checked by both. Every problem go reports must be reported by
//! modlens with the matching kind; modlens's extra findings must be go's documented blind
//! spots; nothing clean may be flagged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{make_writable, run, stderr};

/// A module version damaged one way, and what each tool should say about it.
struct Case {
    name: &'static str,
    damage: fn(&Paths),
    /// What `go mod verify` prints for it (a substring of its message), if anything.
    go_says: &'static [&'static str],
    /// The problem kinds modlens must report.
    modlens_says: &'static [&'static str],
}

/// Where one damaged version lives.
struct Paths {
    tree: PathBuf,
    at_v: PathBuf,
    cache: PathBuf,
}

impl Paths {
    fn file(&self, ext: &str) -> PathBuf {
        self.at_v.join(format!("v1.0.0.{ext}"))
    }
}

fn module_of(case: &str) -> String {
    format!("example.com/dmg/{case}")
}

fn fixture(case: &'static str) -> FixtureModule {
    let path: &'static str = Box::leak(module_of(case).into_boxed_str());
    let m = FixtureModule::new(path, "v1.0.0", "2023-01-01T00:00:00Z")
        .file("a.go", "package m\n\nconst A = 1\n")
        .file("sub/b.go", "package sub\n");
    if case == "zipdirs" {
        m.with_dir_entries()
    } else {
        m
    }
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    make_writable(path);
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// A valid zip for the same module version with other content.
fn other_zip(case: &'static str) -> Vec<u8> {
    let mut m = fixture(case);
    m.files[1].1 = b"package m\n\nconst A = 2\n".to_vec();
    m.zip_bytes()
}

const CASES: &[Case] = &[
    Case {
        name: "clean",
        damage: |_| {},
        go_says: &[],
        modlens_says: &[],
    },
    Case {
        name: "treeedit",
        damage: |p| append(&p.tree.join("a.go"), b"// edited\n"),
        go_says: &["dir has been modified"],
        modlens_says: &["dir_modified"],
    },
    Case {
        name: "treeadd",
        damage: |p| fs::write(p.tree.join("sub/new.go"), "package sub\n").unwrap(),
        go_says: &["dir has been modified"],
        modlens_says: &["dir_modified"],
    },
    Case {
        name: "treedel",
        damage: |p| fs::remove_file(p.tree.join("sub/b.go")).unwrap(),
        go_says: &["dir has been modified"],
        modlens_says: &["dir_modified"],
    },
    Case {
        name: "ziptrunc",
        damage: |p| {
            let f = fs::OpenOptions::new()
                .write(true)
                .open(p.file("zip"))
                .unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len / 2).unwrap();
        },
        go_says: &["zip: not a valid zip file"],
        modlens_says: &["zip_invalid"],
    },
    Case {
        name: "zipgarbage",
        damage: |p| fs::write(p.file("zip"), vec![0x42u8; 300]).unwrap(),
        go_says: &["zip: not a valid zip file"],
        modlens_says: &["zip_invalid"],
    },
    Case {
        name: "zipreplaced",
        damage: |p| fs::write(p.file("zip"), other_zip("zipreplaced")).unwrap(),
        go_says: &["zip has been modified"],
        modlens_says: &["zip_modified"],
    },
    Case {
        name: "zipappend",
        damage: |p| {
            append(
                &p.file("zip"),
                b"trailing junk after the end of central directory",
            )
        },
        go_says: &[],
        modlens_says: &["zip_structure"],
    },
    Case {
        name: "ziphashdel",
        damage: |p| fs::remove_file(p.file("ziphash")).unwrap(),
        go_says: &["missing ziphash"],
        modlens_says: &["ziphash_missing"],
    },
    Case {
        name: "ziphashnul",
        damage: |p| fs::write(p.file("ziphash"), [0u8; 47]).unwrap(),
        go_says: &["zip has been modified", "dir has been modified"],
        modlens_says: &["ziphash_invalid"],
    },
    Case {
        name: "ziphashwrong",
        damage: |p| {
            fs::write(
                p.file("ziphash"),
                "h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw=",
            )
            .unwrap()
        },
        go_says: &["zip has been modified", "dir has been modified"],
        modlens_says: &["zip_modified", "dir_modified"],
    },
    Case {
        name: "partial",
        damage: |p| fs::write(p.file("partial"), "").unwrap(),
        go_says: &[],
        modlens_says: &["partial"],
    },
    Case {
        name: "treeonly",
        damage: |p| {
            fs::remove_file(p.file("zip")).unwrap();
            fs::remove_file(p.file("ziphash")).unwrap();
        },
        go_says: &[],
        modlens_says: &["incomplete"],
    },
    Case {
        name: "infogarbled",
        damage: |p| fs::write(p.file("info"), "{\"Version\":").unwrap(),
        go_says: &[],
        modlens_says: &["info_invalid"],
    },
    Case {
        name: "infowrongversion",
        damage: |p| {
            fs::write(
                p.file("info"),
                r#"{"Version":"v1.0.1","Time":"2023-01-01T00:00:00Z"}"#,
            )
            .unwrap()
        },
        go_says: &[],
        modlens_says: &["info_invalid"],
    },
    Case {
        name: "zipdirs",
        damage: |_| {},
        // go's false alarm (golang/go#53448): nothing was modified.
        go_says: &["dir has been modified"],
        modlens_says: &["zip_structure"],
    },
    Case {
        name: "leftovers",
        damage: |p| {
            fs::write(p.at_v.join("v1.0.0.zip123456.tmp"), "half").unwrap();
            fs::create_dir_all(p.cache.join("example.com/dmg/leftovers@v1.0.0.tmp-42")).unwrap();
            fs::write(
                p.cache.join("example.com/dmg/leftovers@v1.0.0.tmp-42/a.go"),
                "x",
            )
            .unwrap();
        },
        go_says: &[],
        modlens_says: &[],
    },
];

/// What go can be blind to, per `../shared/GO_MODCACHE_FORMAT.md` §4.1 and §7.
const GO_BLIND_SPOTS: &[&str] = &[
    "partial",
    "incomplete",
    "zip_structure",
    "info_invalid",
    "gosum_mismatch",
    "sumdb_mismatch",
    "sumdb_bad_signature",
];

/// go's message → the modlens kinds that account for it.
fn accounts_for(go_msg: &str, kind: &str) -> bool {
    match kind {
        "dir_modified" => go_msg.contains("dir has been modified"),
        "zip_modified" => go_msg.contains("zip has been modified"),
        "ziphash_invalid" => go_msg.contains("has been modified"),
        "ziphash_missing" => go_msg.contains("missing ziphash"),
        "zip_invalid" => go_msg.contains("zip:"),
        "zip_structure" => go_msg.contains("dir has been modified"),
        _ => false,
    }
}

fn verify_json(cache: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["verify", "--json", "--cache", cache.to_str().unwrap()];
    args.extend(extra);
    let out = run(&args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("modlens verify --json: {e}; stderr: {}", stderr(&out)));
    (out.status.code(), report)
}

fn kinds_by_module(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kinds = e["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["kind"].as_str().unwrap().to_owned())
                .collect();
            (e["path"].as_str().unwrap().to_owned(), kinds)
        })
        .collect()
}

/// `<path> <version>: <message>` lines of go mod verify, by module path.
fn go_reports(stderr: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stderr.lines() {
        if let Some((path, rest)) = line.split_once(' ')
            && let Some((_, msg)) = rest.split_once(": ")
        {
            out.entry(path.to_owned()).or_default().push(msg.to_owned());
        }
    }
    out
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn modlens_finds_everything_go_mod_verify_finds_and_explains_its_blind_spots() {
    let Some(go) = Go::find("modlens_finds_everything_go_mod_verify_finds") else {
        return;
    };
    let modules: Vec<FixtureModule> = CASES.iter().map(|c| fixture(c.name)).collect();
    go.download(&modules);
    let requires: Vec<(String, &str)> = CASES
        .iter()
        .map(|c| (module_of(c.name), "v1.0.0"))
        .collect();
    let requires: Vec<(&str, &str)> = requires.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    let project = go.project("all", &requires);

    make_writable(&go.modcache());
    for case in CASES {
        let esc = module_of(case.name);
        let paths = Paths {
            tree: go.modcache().join(format!("{esc}@v1.0.0")),
            at_v: go.modcache().join("cache/download").join(&esc).join("@v"),
            cache: go.modcache(),
        };
        (case.damage)(&paths);
    }

    let (go_ok, go_err) = go.mod_verify(&project);
    let go_found = go_reports(&go_err);
    let (code, report) = verify_json(&go.modcache(), &[]);
    let ours = kinds_by_module(&report);

    for case in CASES {
        let module = module_of(case.name);
        let go_msgs = go_found.get(&module).cloned().unwrap_or_default();
        let kinds = ours.get(&module).cloned().unwrap_or_default();
        for want in case.go_says {
            assert!(
                go_msgs.iter().any(|m| m.contains(want)),
                "{}: go should say {want:?}; go said {go_msgs:?}",
                case.name
            );
        }
        assert_eq!(
            go_msgs.len(),
            case.go_says.len(),
            "{}: go said {go_msgs:?}",
            case.name
        );
        let want: BTreeSet<String> = case.modlens_says.iter().map(|s| s.to_string()).collect();
        assert_eq!(kinds, want, "{}: modlens kinds", case.name);
        for msg in &go_msgs {
            assert!(
                kinds.iter().any(|k| accounts_for(msg, k)),
                "{}: go's {msg:?} is not matched by {kinds:?}",
                case.name
            );
        }
        for kind in &kinds {
            let matched = go_msgs.iter().any(|m| accounts_for(m, kind));
            assert!(
                matched || GO_BLIND_SPOTS.contains(&kind.as_str()),
                "{}: {kind} is neither go's finding nor a blind spot",
                case.name
            );
        }
    }
    assert!(!go_ok);
    assert_eq!(code, Some(1), "problems found means exit status 1");

    let dir_edit = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == module_of("treeedit"))
        .unwrap();
    assert_eq!(
        dir_edit["problems"][0]["files"],
        serde_json::json!([{"name": "a.go", "change": "modified"}])
    );
    assert_eq!(
        dir_edit["problems"][0]["fix"], "reextract",
        "the zip is intact, so re-extraction repairs it"
    );
    let added = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == module_of("treeadd"))
        .unwrap();
    assert_eq!(
        added["problems"][0]["files"],
        serde_json::json!([{"name": "sub/new.go", "change": "extra"}])
    );
    let deleted = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == module_of("treedel"))
        .unwrap();
    assert_eq!(
        deleted["problems"][0]["files"],
        serde_json::json!([{"name": "sub/b.go", "change": "missing"}])
    );
    let clean = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == module_of("clean"))
        .unwrap();
    assert_eq!(clean["status"], "ok");
    let leftover_kinds: BTreeSet<&str> = report["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(leftover_kinds, BTreeSet::from(["tmp_file", "tmp_dir"]));
    assert_eq!(report["summary"]["leftovers"], 2);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_clean_cache_verifies_like_go_with_exit_status_zero() {
    let Some(go) = Go::find("a_clean_cache_verifies_like_go") else {
        return;
    };
    let modules = crate::support::proxy::standard_modules();
    let downloads = go.download(&modules);
    let (code, report) = verify_json(&go.modcache(), &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["summary"]["checked"], modules.len());
    assert_eq!(report["summary"]["ok"], modules.len());
    for d in downloads {
        let e = report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == d.path.as_str() && e["version"] == d.version.as_str())
            .unwrap();
        assert_eq!(
            e["hashes"]["zip"],
            d.sum.as_deref().unwrap(),
            "HashZip of {} equals go's Sum",
            d.path
        );
        assert_eq!(
            e["hashes"]["dir"],
            d.sum.as_deref().unwrap(),
            "HashDir of {} equals go's Sum",
            d.path
        );
        assert_eq!(
            e["hashes"]["go_mod"],
            d.go_mod_sum.as_deref().unwrap(),
            "go.mod hash of {} equals GoModSum",
            d.path
        );
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_edited_mod_file_is_a_go_sum_mismatch_as_go_reports_it() {
    let Some(go) = Go::find("an_edited_mod_file_is_a_go_sum_mismatch") else {
        return;
    };
    go.download(&[fixture("modedit")]);
    let project = go.project("p", &[("example.com/dmg/modedit", "v1.0.0")]);
    let mod_file = go
        .modcache()
        .join("cache/download/example.com/dmg/modedit/@v/v1.0.0.mod");
    append(&mod_file, b"\nrequire example.com/evil v1.0.0\n");

    let (go_ok, go_err) = go.mod_verify(&project);
    assert!(
        !go_ok && go_err.contains("go.mod: checksum mismatch"),
        "{go_err}"
    );
    let (code, report) = verify_json(&go.modcache(), &["--project", project.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        kinds_by_module(&report)["example.com/dmg/modedit"],
        BTreeSet::from(["gomod_sum_mismatch".to_owned()])
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_missing_mod_file_breaks_offline_builds_and_is_reported() {
    let Some(go) = Go::find("a_missing_mod_file_breaks_offline_builds") else {
        return;
    };
    go.download(&[fixture("moddel")]);
    let project = go.project("p", &[("example.com/dmg/moddel", "v1.0.0")]);
    fs::remove_file(
        go.modcache()
            .join("cache/download/example.com/dmg/moddel/@v/v1.0.0.mod"),
    )
    .unwrap();

    let (go_ok, go_err) = go.mod_verify(&project);
    assert!(
        !go_ok && go_err.contains("example.com/dmg/moddel"),
        "{go_err}"
    );
    let (code, report) = verify_json(&go.modcache(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        kinds_by_module(&report)["example.com/dmg/moddel"],
        BTreeSet::from(["mod_missing".to_owned()])
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_consistently_poisoned_entry_passes_go_mod_verify_but_not_modlens() {
    let Some(go) = Go::find("a_consistently_poisoned_entry") else {
        return;
    };
    // The project's go.sum records the genuine module...
    let genuine = fixture("poison");
    go.download(std::slice::from_ref(&genuine));
    let project = go.project("p", &[("example.com/dmg/poison", "v1.0.0")]);
    // ...while the cache holds other content, consistent with itself: zip, .ziphash and tree
    // agree, as if a bad proxy had served it. go writes it from a second proxy.
    let Some(poisoner) = Go::find("a_consistently_poisoned_entry") else {
        return;
    };
    let mut evil = fixture("poison");
    evil.files[1].1 = b"package m\n\nconst A = 666\n".to_vec();
    poisoner.download(&[evil]);
    make_writable(&go.modcache());
    let entry_paths = [
        "example.com/dmg/poison@v1.0.0",
        "cache/download/example.com/dmg/poison/@v",
    ];
    for rel in entry_paths {
        fs::remove_dir_all(go.modcache().join(rel)).unwrap();
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(poisoner.modcache().join(rel))
            .arg(go.modcache().join(rel))
            .status()
            .unwrap();
        assert!(status.success());
    }

    let (go_ok, go_err) = go.mod_verify(&project);
    assert!(
        go_ok,
        "go mod verify cannot see a consistent poisoning: {go_err}"
    );
    let build = go
        .command(&["mod", "download", "example.com/dmg/poison"])
        .current_dir(&project)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&build.stderr).contains("SECURITY ERROR"),
        "but go refuses to use it"
    );

    let (code, report) = verify_json(&go.modcache(), &["--project", project.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        kinds_by_module(&report)["example.com/dmg/poison"],
        BTreeSet::from(["gosum_mismatch".to_owned()])
    );
    let (code, _) = verify_json(&go.modcache(), &[]);
    assert_eq!(
        code,
        Some(0),
        "without the project's go.sum the entry is self-consistent"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_wrong_go_sum_line_is_found_with_recursive_projects() {
    let Some(go) = Go::find("a_wrong_go_sum_line") else {
        return;
    };
    go.download(&[fixture("sumline"), fixture("fine")]);
    let project = go.project(
        "nested/deeper/p",
        &[
            ("example.com/dmg/sumline", "v1.0.0"),
            ("example.com/dmg/fine", "v1.0.0"),
        ],
    );
    let go_sum = project.join("go.sum");
    let text = fs::read_to_string(&go_sum).unwrap();
    let bad = text
        .lines()
        .map(|l| {
            if l.starts_with("example.com/dmg/sumline v1.0.0 h1:") {
                "example.com/dmg/sumline v1.0.0 h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw="
                    .to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(&go_sum, bad + "\n").unwrap();

    let root = go.workdir().join("nested");
    let (code, report) = verify_json(
        &go.modcache(),
        &["--project", root.to_str().unwrap(), "--recursive"],
    );
    assert_eq!(code, Some(1));
    let kinds = kinds_by_module(&report);
    assert_eq!(
        kinds["example.com/dmg/sumline"],
        BTreeSet::from(["gosum_mismatch".to_owned()])
    );
    assert!(kinds["example.com/dmg/fine"].is_empty());
    let out = run(&[
        "verify",
        "--cache",
        go.modcache().to_str().unwrap(),
        "--project",
        root.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without --recursive, nested has no go.sum"
    );
    assert!(
        stderr(&out).contains("no go.mod, go.work, go.sum or go.work.sum"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn patterns_select_versions_and_unknown_ones_are_errors() {
    let Some(go) = Go::find("patterns_select_versions") else {
        return;
    };
    go.download(&crate::support::proxy::standard_modules());
    let (code, report) = verify_json(
        &go.modcache(),
        &["example.com/MixedCase@v1.2.3", "example.com/nested*"],
    );
    assert_eq!(code, Some(0));
    let selected: BTreeSet<String> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}@{}",
                e["path"].as_str().unwrap(),
                e["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        selected,
        BTreeSet::from([
            "example.com/MixedCase@v1.2.3".into(),
            "example.com/nested@v1.0.0".into(),
            "example.com/nested/v2@v2.1.0".into()
        ])
    );
    let out = run(&[
        "verify",
        "--cache",
        go.modcache().to_str().unwrap(),
        "example.com/nothere",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("matches no module version"));
    let out = run(&[
        "verify",
        "--cache",
        go.modcache().to_str().unwrap(),
        "--jobs",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// A module whose go.mod is a directory: go 1.19 builds it, go 1.21 and later refuse it on
/// every use ("read …/go.mod: is a directory"). modlens calls it unusable, with a fix.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_go_mod_that_is_a_directory_is_an_unusable_version() {
    let Some(go) = Go::find("a_go_mod_that_is_a_directory_is_an_unusable_version") else {
        return;
    };
    let mut m = FixtureModule::new("example.com/gmd", "v1.0.0", "2023-01-01T00:00:00Z");
    m.go_mod = "module example.com/gmd\n".into();
    m.go_mod_in_zip = false;
    m.files = vec![
        ("go.mod/x.txt", b"hello\n".to_vec()),
        ("g.go", b"package gmd\n".to_vec()),
    ];
    // Not go.download: a modern go downloads and extracts it, then reports the error.
    crate::support::proxy::write_proxy(&go.proxy(), &[m]);
    let project = go.workdir().join("p");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("go.mod"),
        "module test.example/p\n\ngo 1.18\n\nrequire example.com/gmd v1.0.0\n",
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        "package main\n\nimport _ \"example.com/gmd\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let built = go.build(&project).output().unwrap();
    assert!(go.modcache().join("example.com/gmd@v1.0.0/go.mod").is_dir());
    let (code, report) = verify_json(&go.modcache(), &[]);
    let kinds = kinds_by_module(&report);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        kinds["example.com/gmd"].contains("unusable_version"),
        "{report:#}"
    );
    // The go under test: a modern one refuses it, as modlens says.
    if !built.status.success() {
        assert!(
            stderr(&built).contains("is a directory"),
            "{}",
            stderr(&built)
        );
    }
}

/// A wrong `.ziphash` beside a zip and tree that go.sum confirms is rewritten offline.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_wrong_ziphash_that_go_sum_contradicts_is_rewritten_offline() {
    let Some(go) = Go::find("a_wrong_ziphash_that_go_sum_contradicts") else {
        return;
    };
    let downloads =
        go.download(&[
            FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
                .file("a.go", "package m\n"),
        ]);
    let sum = downloads[0].sum.clone().unwrap();
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    let ziphash = go
        .modcache()
        .join("cache/download/example.com/a/@v/v1.0.0.ziphash");
    make_writable(ziphash.parent().unwrap());
    fs::write(&ziphash, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
    let project_arg = project.to_str().unwrap();
    let (code, report) = verify_json(&go.modcache(), &["--project", project_arg]);
    assert_eq!(code, Some(1), "{report:#}");
    let kinds = kinds_by_module(&report);
    assert_eq!(
        kinds["example.com/a"],
        ["ziphash_invalid".to_owned()].into_iter().collect(),
        "{report:#}"
    );
    let out = run(&[
        "refetch",
        "--broken",
        "--yes",
        "--project",
        project_arg,
        "--cache",
        go.modcache().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&ziphash).unwrap().trim(), sum);
    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "{err}");
}

/// An extracted toolchain is verified too, modulo what go itself changes on its first use
/// (`cmd/go/internal/toolchain`: a `go.mod` copied beside every `_go.mod`, execute bits).
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_toolchain_tree_is_verified_modulo_go_s_first_use_changes() {
    use std::os::unix::fs::PermissionsExt;
    let Some(go) = Go::find("a_toolchain_tree_is_verified") else {
        return;
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let platform = format!("{}-{arch}", std::env::consts::OS);
    // The fixture's names are `&'static str`: leak the two built here.
    let version: &'static str = Box::leak(format!("v0.0.1-go1.99.1.{platform}").into_boxed_str());
    let compile: &'static str =
        Box::leak(format!("pkg/tool/{}_{arch}/compile", std::env::consts::OS).into_boxed_str());
    let fake_go = "#!/bin/sh\necho go version go1.99.1 fake\n";
    go.download(&[
        FixtureModule::new("golang.org/toolchain", version, "2024-01-01T00:00:00Z")
            .file("bin/go", fake_go)
            .file("bin/gofmt", fake_go)
            .file(compile, fake_go)
            .file("lib/wasm/go_js_wasm_exec", fake_go)
            .file("src/_go.mod", "module std\n")
            .file("src/cmd/_go.mod", "module cmd\n"),
    ]);
    let tree = go
        .modcache()
        .join(format!("golang.org/toolchain@{version}"));
    let bin = tree.join("bin/go");
    // go 1.21 and later switch to it and make their first-use changes themselves; go 1.19
    // knows no GOTOOLCHAIN, so the test makes the same changes by hand.
    let out = go
        .command(&["version"])
        .env("GOTOOLCHAIN", "go1.99.1")
        .output()
        .unwrap();
    if String::from_utf8_lossy(&out.stdout).contains("go1.99.1 fake") {
        assert!(tree.join("src/cmd/go.mod").is_file(), "go copied _go.mod");
    } else {
        eprintln!("this go does not switch toolchains; making its first-use changes by hand");
        make_writable(&tree);
        for dir in ["src", "src/cmd"] {
            fs::copy(
                tree.join(dir).join("_go.mod"),
                tree.join(dir).join("go.mod"),
            )
            .unwrap();
        }
        let mode = fs::metadata(&bin).unwrap().permissions().mode();
        fs::set_permissions(&bin, fs::Permissions::from_mode(mode | 0o111)).unwrap();
    }
    let (code, report) = verify_json(&go.modcache(), &[]);
    assert_eq!(code, Some(0), "go's own changes are not damage: {report:#}");
    // A deleted binary is found, and repaired offline from the zip.
    make_writable(&tree);
    fs::remove_file(&bin).unwrap();
    let (code, report) = verify_json(&go.modcache(), &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        kinds_by_module(&report)["golang.org/toolchain"].contains("dir_modified"),
        "{report:#}"
    );
    let out = run(&[
        "refetch",
        "--broken",
        "--yes",
        "--cache",
        go.modcache().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(bin.exists());
}
