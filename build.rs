//! Build script: `MODLENS_SKIP_GO=1` turns on the `modlens_skip_go` cfg, under which the tests
//! that check modlens against the real go are reported as ignored (skipped), never as passed;
//! without `MODLENS_SLOW_TESTS=1`, the `modlens_fast` cfg reports the two slowest scale tests as
//! ignored too (CI runs them in a step of their own).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(modlens_skip_go)");
    println!("cargo::rustc-check-cfg=cfg(modlens_fast)");
    println!("cargo::rerun-if-env-changed=MODLENS_SKIP_GO");
    println!("cargo::rerun-if-env-changed=MODLENS_SLOW_TESTS");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("MODLENS_SKIP_GO").is_some_and(|v| v == "1") {
        println!("cargo::rustc-cfg=modlens_skip_go");
    }
    if std::env::var_os("MODLENS_SLOW_TESTS").is_none_or(|v| v != "1") {
        println!("cargo::rustc-cfg=modlens_fast");
    }
}
