//! Version order and cache-name decoding, checked against Go's own x/mod code.

use modlens::cache::{ModuleKey, semver};

use crate::support::go::Go;
use crate::support::oracle::ask_go;

/// Versions chosen to hit every rule of the order: invalid ones, shorthands, numeric and
/// alphanumeric prerelease identifiers, upper case, pseudo-versions of all three shapes,
/// build metadata and `+incompatible`.
const VERSIONS: &[&str] = &[
    "v1.2.3",
    "v1.10.0",
    "v1.2.3-RC1",
    "v1.2.3-alpha",
    "v1.2.3-alpha.1",
    "v1.2.3-alpha.beta",
    "v1.2.3-beta",
    "v1.2.3-rc.1",
    "v1.2.3-rc.2",
    "v1.2.3-rc.11",
    "v1.2.3-0.1",
    "v1.2.3+meta",
    "v0.0.0-20190101000000-abcdefabcdef",
    "v0.0.0",
    "v0.0.1",
    "v1",
    "v1.2",
    "v1.2.3-pre.0.20230101000000-abcdefabcdef",
    "v1.2.4-0.20230105000000-abcdefabcdef",
    "v1.2.4-0.20230106000000-000000000000",
    "v1.2.4-rc1",
    "v1.2.4",
    "v2.0.0-0.20200101000000-abcdefabcdef+incompatible",
    "v2.0.0",
    "v2.0.0+incompatible",
    "1.2.3",
    "v01.2.3",
    "v1.2.3-01",
    "v10.0.0",
    "v9.99.999",
    "v1.2.3-1",
    "v1.2.3-x.7.z.92",
];

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn versions_sort_as_go_sorts_them() {
    let Some(go) = Go::find("versions_sort_as_go_sorts_them") else {
        return;
    };
    let expected = ask_go(&go, "sort", VERSIONS);
    let mut ours: Vec<&str> = VERSIONS.to_vec();
    ours.sort_by(|a, b| semver::sort_order(a, b));
    assert_eq!(ours, expected);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn cache_names_decode_as_go_decodes_them() {
    let Some(go) = Go::find("cache_names_decode_as_go_decodes_them") else {
        return;
    };
    let names = [
        "example.com/!mixed!case v1.2.3",
        "example.com/m v1.2.3-!r!c1",
        "example.com/m/v2 v2.1.0",
        "example.com/m/v2 v1.0.0",
        "example.com/m v2.0.0",
        "example.com/m v2.0.0+incompatible",
        "example.com/m/v1 v1.0.0",
        "example.com/m/v02 v2.0.0",
        "gopkg.in/yaml.v3 v3.0.1",
        "gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405",
        "gopkg.in/yaml v1.0.0",
        "Example.com/m v1.0.0",
        "example.com/M v1.0.0",
        "example.com/m! v1.0.0",
        "example.com/m v1.2",
        "example.com/m v1.2.3+meta",
        "nodot/m v1.0.0",
        "example.com/.hidden v1.0.0",
        "example.com/con v1.0.0",
        "example.com/abc~1 v1.0.0",
        "example.com/a_b-c.d~e v1.0.0",
        "-example.com/m v1.0.0",
        "example.com/m v1.0.0-rc.01",
        "golang.org/toolchain v0.0.1-go1.21.0.linux-amd64",
    ];
    let expected = ask_go(&go, "decode", &names);
    assert_eq!(
        expected.len(),
        names.len(),
        "one answer per name: {expected:?}"
    );
    let ours: Vec<String> = names
        .iter()
        .map(|n| {
            let (p, v) = n.split_once(' ').unwrap();
            match ModuleKey::from_escaped(p, v) {
                Ok(k) => format!("ok {} {}", k.path, k.version),
                Err(_) => "invalid".to_owned(),
            }
        })
        .collect();
    for ((name, want), got) in names.iter().zip(&expected).zip(&ours) {
        assert_eq!(got, want, "decoding {name:?}");
    }
}
