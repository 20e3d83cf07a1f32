//! Measures single-core inflate throughput over the zips of a module cache, with the same
//! inflater modlens verifies with (libdeflate), for the verify benchmark's second limit: the
//! work that cannot be avoided, inflating every zip entry and hashing each byte once. Zips are
//! read into memory first, so only inflating is timed. Prints uncompressed bytes per second.
//!
//! Usage: `cargo run --release --example inflate_throughput -- CACHE`

use std::io::Read;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cache = std::env::args()
        .nth(1)
        .ok_or("usage: inflate_throughput CACHE")?;
    let mut zips = Vec::new();
    for entry in walkdir::WalkDir::new(std::path::Path::new(&cache).join("cache/download")) {
        let entry = entry?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "zip") {
            zips.push(std::fs::read(entry.path())?);
        }
    }
    // The compressed entries, in memory, with their uncompressed sizes.
    let mut raw = Vec::new();
    for bytes in &zips {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
        for i in 0..archive.len() {
            let mut entry = archive.by_index_raw(i)?;
            if entry.compression() != zip::CompressionMethod::Deflated {
                continue;
            }
            let size = entry.size() as usize;
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            raw.push((data, size));
        }
    }
    let mut inflater = libdeflater::Decompressor::new();
    let mut out = Vec::new();
    let mut best = f64::MAX;
    let mut total = 0usize;
    for _ in 0..3 {
        total = 0;
        let started = Instant::now();
        for (data, size) in &raw {
            out.resize(*size, 0);
            total += inflater.deflate_decompress(data, &mut out)?;
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{:.0}", total as f64 / best);
    Ok(())
}
