//! The checksum-database check: a small signed sumdb cache built in the test with its own
//! Ed25519 key, holding the `Sum` and `GoModSum` that go printed, then tampered with.

use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

use crate::support::go::{Download, Go};
use crate::support::proxy::FixtureModule;
use crate::support::{modlens, stderr};

const DB: &str = "sum.example.test";

struct Db {
    key: SigningKey,
    vkey: String,
    key_hash: [u8; 4],
}

impl Db {
    fn new(seed: u8) -> Db {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let mut data = vec![0x01];
        data.extend_from_slice(key.verifying_key().as_bytes());
        let digest = Sha256::digest([DB.as_bytes(), b"\n", &data].concat());
        let key_hash = [digest[0], digest[1], digest[2], digest[3]];
        let vkey = format!("{DB}+{}+{}", hex(&key_hash), STANDARD.encode(&data));
        Db {
            key,
            vkey,
            key_hash,
        }
    }

    /// A lookup answer: record id, go.sum lines, blank line, signed tree note.
    fn lookup(&self, record: &str) -> String {
        let text = format!("go.sum database tree\n5\n{}\n", STANDARD.encode([9u8; 32]));
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.key_hash.to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!(
            "3\n{record}\n{text}\n\u{2014} {DB} {}\n",
            STANDARD.encode(blob)
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_lookup(cache: &Path, module: &str, body: &str) {
    let path = cache
        .join("cache/download/sumdb")
        .join(DB)
        .join("lookup")
        .join(format!("{module}@v1.0.0"));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
}

fn record(d: &Download, sum: &str, go_mod_sum: &str) -> String {
    format!(
        "{} {} {sum}\n{} {}/go.mod {go_mod_sum}\n",
        d.path, d.version, d.path, d.version
    )
}

#[test]
fn cached_sumdb_answers_are_checked_and_their_signatures_verified() {
    let Some(go) = Go::find("cached_sumdb_answers_are_checked") else {
        return;
    };
    let names = [
        "example.com/sdb/good",
        "example.com/sdb/wrongsum",
        "example.com/sdb/wrongmod",
        "example.com/sdb/badsig",
        "example.com/sdb/stranger",
    ];
    let modules: Vec<FixtureModule> = names
        .iter()
        .map(|n| FixtureModule::new(n, "v1.0.0", "2023-01-01T00:00:00Z"))
        .collect();
    let downloads = go.download(&modules);
    let db = Db::new(7);
    let other_sum = "h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw=";
    for d in &downloads {
        let (sum, go_mod_sum) = (d.sum.clone().unwrap(), d.go_mod_sum.clone().unwrap());
        let body = match d.path.rsplit('/').next().unwrap() {
            "good" => db.lookup(&record(d, &sum, &go_mod_sum)),
            "wrongsum" => db.lookup(&record(d, other_sum, &go_mod_sum)),
            "wrongmod" => db.lookup(&record(d, &sum, other_sum)),
            "badsig" => {
                let good = db.lookup(&record(d, &sum, &go_mod_sum));
                // The record changed after signing would not be caught by the note signature
                // (only tiles bind records); a changed note is.
                good.replace("\n5\n", "\n6\n")
            }
            _ => Db::new(8).lookup(&record(d, &sum, &go_mod_sum)),
        };
        write_lookup(&go.modcache(), &d.path, &body);
    }

    let out = modlens(&[
        "verify",
        "--json",
        "--cache",
        go.modcache().to_str().unwrap(),
    ])
    .env("GOSUMDB", &db.vkey)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds = |name: &str| -> Vec<String> {
        let e = report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == format!("example.com/sdb/{name}"))
            .unwrap();
        e["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds("good"), Vec::<String>::new());
    assert_eq!(kinds("wrongsum"), ["sumdb_mismatch"]);
    assert_eq!(kinds("wrongmod"), ["sumdb_mismatch"]);
    assert_eq!(kinds("badsig"), ["sumdb_bad_signature"]);
    assert_eq!(
        kinds("stranger"),
        ["sumdb_bad_signature"],
        "signed by another key only"
    );
    let good = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "example.com/sdb/good")
        .unwrap();
    assert_eq!(
        good["hashes"]["sumdb"].as_array().unwrap().len(),
        2,
        "both records are shown"
    );

    // Without the key, the database's answers cannot be checked and are left alone.
    let out = modlens(&["verify", "--cache", go.modcache().to_str().unwrap()])
        .env("GOSUMDB", "off")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
