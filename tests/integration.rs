//! The single integration-test binary (one link step instead of one per file).

// Test helpers run outside #[test] functions; a failed setup step should panic loudly.
#![allow(clippy::unwrap_used)]

mod support;

mod cli_errors;
mod demo_go;
mod diff_go;
mod doctor_go;
mod e2e_tmux;
mod explain_go;
mod gocache_go;
mod gosum_go;
mod hostile;
mod incremental;
mod layers;
mod list_go;
mod list_hand;
mod names_go;
mod ops_cli;
mod ops_go;
mod proxy_go;
mod published_go;
mod repair_go;
mod s3_go;
mod safety;
mod state;
mod sumdb_go;
mod trash_go;
mod tui;
mod vendor_go;
mod verify_go;
mod verify_run;
mod verify_sumdb;
