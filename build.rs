//! Build script: `MODLENS_SKIP_GO=1` turns on the `modlens_skip_go` cfg, under which the tests
//! that check modlens against the real go are reported as ignored (skipped), never as passed;
//! without `MODLENS_SLOW_TESTS=1`, the `modlens_fast` cfg reports the two slowest scale tests as
//! ignored too (CI runs them in a step of their own). Where this machine cannot make a mount
//! namespace with a bind mount in it (no `unshare`, or user namespaces turned off), the
//! `modlens_no_mount_ns` cfg reports the test of mount points as ignored rather than passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(modlens_skip_go)");
    println!("cargo::rustc-check-cfg=cfg(modlens_fast)");
    println!("cargo::rustc-check-cfg=cfg(modlens_no_mount_ns)");
    println!("cargo::rerun-if-env-changed=MODLENS_SKIP_GO");
    println!("cargo::rerun-if-env-changed=MODLENS_SLOW_TESTS");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("MODLENS_SKIP_GO").is_some_and(|v| v == "1") {
        println!("cargo::rustc-cfg=modlens_skip_go");
    }
    if std::env::var_os("MODLENS_SLOW_TESTS").is_none_or(|v| v != "1") {
        println!("cargo::rustc-cfg=modlens_fast");
    }
    if !can_bind_mount() {
        println!("cargo::rustc-cfg=modlens_no_mount_ns");
    }
}

/// Whether a private mount namespace with a bind mount in it can be made here, as the mount
/// test does (as root, or mapped to root in a user namespace).
fn can_bind_mount() -> bool {
    let Some(dir) = std::env::var_os("OUT_DIR") else {
        return false;
    };
    // Root needs no user namespace; everyone else maps themselves to root in one.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut probe = std::process::Command::new("unshare");
    probe.arg("--mount");
    if !root {
        probe.arg("--map-root-user");
    }
    probe
        .args(["--", "sh", "-c", r#"mount --bind "$1" "$1""#, "sh"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
