//! Go toolchain versions as go's `internal/gover` orders them: `1.21` < `1.21rc1` < `1.21.0` <
//! `1.21.4` < `1.21.10`, unlike semver. Toolchain modules carry them in their versions:
//! `golang.org/toolchain@v0.0.1-go1.23.4.linux-amd64`.

use std::cmp::Ordering;

/// A parsed go version; fields are decimal strings, compared by length then text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Version<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    kind: &'a str,
    pre: &'a str,
}

/// Splits a leading decimal number off `x` (go's `cutInt`: no leading zeros).
fn cut_int(x: &str) -> Option<(&str, &str)> {
    let end = x
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(x.len());
    let (n, rest) = x.split_at(end);
    let leading_zero = n.len() > 1 && n.starts_with('0');
    (!n.is_empty() && !leading_zero).then_some((n, rest))
}

/// go's `gover.Parse`; an invalid version parses as all zero.
fn parse(x: &str) -> Version<'_> {
    let parsed = (|| {
        let mut v = Version::default();
        let (major, x) = cut_int(x)?;
        v.major = major;
        if x.is_empty() {
            v.minor = "0";
            v.patch = "0";
            return Some(v);
        }
        let (minor, x) = cut_int(x.strip_prefix('.')?)?;
        v.minor = minor;
        if x.is_empty() {
            // Before 1.21 a missing patch means .0; since, it is a language version.
            if cmp_int(minor, "21") == Ordering::Less {
                v.patch = "0";
            }
            return Some(v);
        }
        if let Some(rest) = x.strip_prefix('.') {
            let (patch, rest) = cut_int(rest)?;
            v.patch = patch;
            return rest.is_empty().then_some(v);
        }
        let letters = x.bytes().take_while(u8::is_ascii_lowercase).count();
        if letters == 0
            || x[letters..]
                .bytes()
                .next()
                .is_some_and(|b| !b.is_ascii_digit())
        {
            return None;
        }
        v.kind = &x[..letters];
        let rest = &x[letters..];
        if rest.is_empty() {
            return Some(v);
        }
        let (pre, rest) = cut_int(rest)?;
        v.pre = pre;
        rest.is_empty().then_some(v)
    })();
    parsed.unwrap_or_default()
}

/// go's `gover.CmpInt`.
fn cmp_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// go's `gover.Compare` of two go versions without the `go` prefix (`1.23.4`, `1.23rc1`).
pub fn compare(x: &str, y: &str) -> Ordering {
    let (a, b) = (parse(x), parse(y));
    cmp_int(a.major, b.major)
        .then_with(|| cmp_int(a.minor, b.minor))
        .then_with(|| cmp_int(a.patch, b.patch))
        .then_with(|| a.kind.cmp(b.kind))
        .then_with(|| cmp_int(a.pre, b.pre))
}

/// The go version and platform of a toolchain module version:
/// `v0.0.1-go1.23.4.linux-amd64` is (`1.23.4`, `linux-amd64`).
pub fn toolchain(version: &str) -> Option<(&str, &str)> {
    let rest = version.strip_prefix("v0.0.1-go")?;
    let dot = rest.rfind('.')?;
    let (go, platform) = (&rest[..dot], &rest[dot + 1..]);
    (!go.is_empty() && platform.contains('-')).then_some((go, platform))
}

/// The platform this machine runs, in go's `GOOS-GOARCH` words.
pub fn this_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        other => other,
    };
    format!("{}-{arch}", std::env::consts::OS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_gover_orders_them() {
        let ordered = [
            "1.20",
            "1.20.1",
            "1.21",
            "1.21rc1",
            "1.21rc2",
            "1.21.0",
            "1.21.4",
            "1.21.10",
            "1.23beta1",
            "1.23rc1",
            "1.23.0",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(compare("1.20", "1.20.0"), Ordering::Equal);
    }

    #[test]
    fn toolchain_versions_name_their_go_and_platform() {
        assert_eq!(
            toolchain("v0.0.1-go1.23.4.linux-amd64"),
            Some(("1.23.4", "linux-amd64"))
        );
        assert_eq!(
            toolchain("v0.0.1-go1.23rc1.darwin-arm64"),
            Some(("1.23rc1", "darwin-arm64"))
        );
        assert_eq!(toolchain("v1.0.0"), None);
    }
}
