//! Typed plans: what a cleaning or a repair will do, built once for the CLI, which prints
//! them, and for the explorer, which shows them in its dialog. Each plan also says how it is
//! carried out, through the same jobs everywhere.

pub mod clean;
pub mod doctor;
pub mod explain;
pub mod gocache;
pub mod imports;
pub mod receipt;
pub mod repair;
