//! Measures single-core SHA-256 throughput with the same sha2 crate modlens hashes with, for
//! the "hashing limit" of the verify benchmark. Prints bytes per second.
//!
//! Usage: `cargo run --release --example sha_throughput [MiB]` (default 512).

use std::time::Instant;

use sha2::{Digest, Sha256};

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(512);
    let chunk = vec![0x5au8; 64 * 1024];
    let rounds = mib * 16;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let mut hasher = Sha256::new();
        for _ in 0..rounds {
            hasher.update(&chunk);
        }
        std::hint::black_box(hasher.finalize());
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{:.0}", (rounds * chunk.len()) as f64 / best);
}
