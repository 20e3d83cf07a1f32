//! The demo cache is laid out as go lays out a cache: go accepts its intact entries, computes
//! the same hashes, and modlens finds exactly the damage the demo plants.

use std::collections::BTreeSet;

use modlens::cache::{ModCache, ModuleKey, VersionFile};

use crate::support::go::{Go, parse_downloads};
use crate::support::run;

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn go_accepts_the_demo_cache_and_modlens_finds_only_the_planted_damage() {
    let Some(go) = Go::find("go_accepts_the_demo_cache") else {
        return;
    };
    let root = modlens::cli::demo::build(go.sandbox.path(), std::time::SystemTime::now()).unwrap();
    let intact = [
        "example.com/hello@v1.2.0",
        "github.com/Acme/Widget@v0.3.1",
        "golang.org/x/demo@v0.0.0-20230105000000-abcdefabcdef",
    ];
    let out = go
        .command(&["mod", "download", "-json"])
        .args(intact)
        .env("GOMODCACHE", &root)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go uses the demo cache offline: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for d in parse_downloads(&out) {
        let key = ModuleKey {
            path: d.path.clone(),
            version: d.version.clone(),
        };
        let ziphash =
            std::fs::read_to_string(ModCache::new(&root).version_file(&key, VersionFile::Ziphash))
                .unwrap();
        assert_eq!(
            d.sum.as_deref(),
            Some(ziphash.as_str()),
            "{}: go's Sum equals the demo's .ziphash",
            d.path
        );
    }
    let project = go.workdir().join("p");
    std::fs::create_dir_all(&project).unwrap();
    let requires: String = intact
        .iter()
        .map(|m| format!("\t{}\n", m.replace('@', " ")))
        .collect();
    std::fs::write(
        project.join("go.mod"),
        format!("module test.example/p\n\ngo 1.18\n\nrequire (\n{requires})\n"),
    )
    .unwrap();
    let paths: Vec<&str> = intact
        .iter()
        .map(|m| m.split('@').next().unwrap())
        .collect();
    let out = go
        .command(&["mod", "download"])
        .args(&paths)
        .current_dir(&project)
        .env("GOMODCACHE", &root)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = go
        .command(&["mod", "verify"])
        .current_dir(&project)
        .env("GOMODCACHE", &root)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go mod verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&["verify", "--json", "--cache", root.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: BTreeSet<(String, String, String)> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["problems"].as_array().unwrap().iter().map(move |p| {
                (
                    e["path"].as_str().unwrap().to_owned(),
                    e["version"].as_str().unwrap().to_owned(),
                    p["kind"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    let planted: BTreeSet<(String, String, String)> = modlens::cli::demo::BROKEN
        .iter()
        .map(|(p, v, k)| (p.to_string(), v.to_string(), k.to_string()))
        .collect();
    assert_eq!(found, planted);
    assert_eq!(report["summary"]["leftovers"], 1);
}
