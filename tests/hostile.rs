//! Hostile caches: zip bombs that lie about their sizes and a version of 100,000 files. Every
//! command finishes within seconds under a 1 GiB address-space limit, reports a clear problem,
//! and changes nothing it should not. (FIFOs, devices, sparse multi-GB files and deep chains are
//! in `safety.rs`.)

use std::fs;

use crate::support::go::Go;
use crate::support::proxy::{FixtureModule, write_proxy};
use crate::support::{fingerprint, run_bounded};

/// A zip with one deflated entry of `real` zero bytes that declares `declared` bytes.
fn lying_zip(name: &str, real: usize, declared: u32) -> Vec<u8> {
    let data = vec![0u8; real];
    let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::fastest());
    let mut deflated = vec![0u8; compressor.deflate_compress_bound(real)];
    let n = compressor.deflate_compress(&data, &mut deflated).unwrap();
    deflated.truncate(n);
    let mut crc = libdeflater::Crc::new();
    crc.update(&data);
    let crc = crc.sum();
    let le16 = |v: u16| v.to_le_bytes();
    let le32 = |v: u32| v.to_le_bytes();
    let mut out = Vec::new();
    // Local file header.
    out.extend(le32(0x0403_4b50));
    out.extend(le16(20));
    out.extend(le16(0));
    out.extend(le16(8));
    out.extend(le32(0)); // time and date
    out.extend(le32(crc));
    out.extend(le32(deflated.len() as u32));
    out.extend(le32(declared));
    out.extend(le16(name.len() as u16));
    out.extend(le16(0));
    out.extend(name.as_bytes());
    out.extend(&deflated);
    let cd_offset = out.len() as u32;
    // Central directory.
    out.extend(le32(0x0201_4b50));
    out.extend(le16(20));
    out.extend(le16(20));
    out.extend(le16(0));
    out.extend(le16(8));
    out.extend(le32(0));
    out.extend(le32(crc));
    out.extend(le32(deflated.len() as u32));
    out.extend(le32(declared));
    out.extend(le16(name.len() as u16));
    out.extend([0; 12]); // extra, comment, disk, internal and external attributes
    out.extend(le32(0)); // local header offset
    out.extend(name.as_bytes());
    let cd_size = out.len() as u32 - cd_offset;
    // End of central directory.
    out.extend(le32(0x0605_4b50));
    out.extend([0; 4]);
    out.extend(le16(1));
    out.extend(le16(1));
    out.extend(le32(cd_size));
    out.extend(le32(cd_offset));
    out.extend(le16(0));
    out
}

/// Every command that reads the cache, as a user would run them.
const COMMANDS: &[&[&str]] = &[
    &["list", "--json"],
    &["verify", "--json"],
    &["clean", "--broken", "--leftovers", "--dry-run"],
];

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn zip_bombs_are_caught_by_their_sizes_without_inflating_them() {
    let Some(go) = Go::find("zip_bombs_are_caught_by_their_sizes") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/liar", "v1.0.0", "2023-01-01T00:00:00Z"),
        FixtureModule::new("example.com/huge", "v1.0.0", "2023-01-01T00:00:00Z"),
    ]);
    let cache = go.modcache();
    let zip = |m: &str| cache.join(format!("cache/download/example.com/{m}/@v/v1.0.0.zip"));
    // 256 MiB of zeros that claim to be 100 bytes; and a claim of 600 MiB, over go's 500 MiB.
    fs::write(
        zip("liar"),
        lying_zip("example.com/liar@v1.0.0/bomb.go", 256 << 20, 100),
    )
    .unwrap();
    fs::write(
        zip("huge"),
        lying_zip("example.com/huge@v1.0.0/bomb.go", 1 << 20, 600 << 20),
    )
    .unwrap();
    let before = fingerprint(&cache);
    for args in COMMANDS {
        let out = run_bounded(&cache, args, 30);
        assert!(
            matches!(out.status.code(), Some(0..=1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run_bounded(&cache, &["verify", "--json"], 30);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = |path: &str| -> String {
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .unwrap()["problems"]
            .to_string()
    };
    assert!(
        problems("example.com/liar").contains("declared"),
        "{}",
        problems("example.com/liar")
    );
    assert!(
        problems("example.com/huge").contains("zip_structure"),
        "{}",
        problems("example.com/huge")
    );
    assert_eq!(fingerprint(&cache), before, "reading changes nothing");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
#[cfg_attr(modlens_fast, ignore = "slow: MODLENS_SLOW_TESTS=1 runs it")]
fn a_version_of_100000_files_lists_and_verifies_in_bounded_memory() {
    let Some(go) = Go::find("a_version_of_100000_files") else {
        return;
    };
    // Build the zip here: 100,000 small files in 1,000 directories.
    let mut module = FixtureModule::new("example.com/many", "v1.0.0", "2023-01-01T00:00:00Z");
    for i in 0..100_000 {
        let name: &'static str = Box::leak(format!("d{:03}/f{i}.go", i % 1000).into_boxed_str());
        module = module.file(name, format!("package d // {i}\n"));
    }
    write_proxy(&go.proxy(), std::slice::from_ref(&module));
    let out = go
        .command(&["mod", "download", "example.com/many@v1.0.0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = go.modcache();
    let out = run_bounded(&cache, &["list", "--json"], 60);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report["totals"]["files"].as_u64().unwrap();
    assert!(files > 100_000, "{}", report["totals"]);
    let out = run_bounded(&cache, &["verify"], 120);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// go's output at the end of a log of a terabyte (sparse): `explain` reads from where its last
/// 4 MiB start, so it finds the error at once, in bounded memory, instead of reading the rest.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn explain_reads_only_the_end_of_a_huge_log() {
    let Some(go) = Go::find("explain_reads_only_the_end_of_a_huge_log") else {
        return;
    };
    go.download(&[FixtureModule::new(
        "example.com/a",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
    )]);
    let log = go.workdir().join("huge.log");
    let said = b"\nverifying example.com/a@v1.0.0: dir has been modified (/x)\n";
    {
        use std::io::{Seek, Write};
        let mut file = fs::File::create(&log).unwrap();
        file.seek(std::io::SeekFrom::Start(1 << 40)).unwrap();
        file.write_all(said).unwrap();
    }
    let out = run_bounded(&go.modcache(), &["explain", log.to_str().unwrap()], 60);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("example.com/a@v1.0.0: dir_modified"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
