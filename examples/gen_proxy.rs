//! Writes a synthetic `file://` GOPROXY directory for benchmarks: many modules, versions and
//! files, so that the real go command can build a large module cache from it.
//!
//! Usage: `cargo run --release --example gen_proxy -- DIR MODULES VERSIONS FILES`
//! writes MODULES × VERSIONS module versions of FILES files each into DIR and prints every
//! `path@version` to DIR/targets.txt (one per line), ready for `go mod download`.
//!
//! File contents are generated comment lines of about 1.5 KiB, unless `GEN_SOURCES=DIR` names a
//! tree of real source files (such as `$(go env GOROOT)/src`): then each file takes the content
//! of one of those, in turn, so that sizes and compressibility are those of real code.

use std::fs;
use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, modules, versions, files] = args.as_slice() else {
        eprintln!("usage: gen_proxy DIR MODULES VERSIONS FILES");
        std::process::exit(2);
    };
    let (modules, versions, files): (usize, usize, usize) =
        (modules.parse()?, versions.parse()?, files.parse()?);
    let dir = Path::new(dir);
    let sources = match std::env::var_os("GEN_SOURCES") {
        Some(root) => source_files(Path::new(&root))?,
        None => Vec::new(),
    };
    let mut content = Content { sources, next: 0 };
    let mut targets = String::new();
    for m in 0..modules {
        // Mixed case in some paths, so escaping is exercised at scale too.
        let owner = if m % 3 == 0 { "Acme" } else { "acme" };
        let path = format!("example.com/{owner}/mod{m:05}");
        let esc_path = path.replace("Acme", "!acme");
        let at_v = dir.join(&esc_path).join("@v");
        fs::create_dir_all(&at_v)?;
        let mut list = String::new();
        for v in 0..versions {
            let version = format!("v1.{v}.0");
            write_version(&at_v, &path, &version, m, files, &mut content)?;
            list.push_str(&version);
            list.push('\n');
            targets.push_str(&format!("{path}@{version}\n"));
        }
        fs::write(at_v.join("list"), list)?;
    }
    fs::write(dir.join("targets.txt"), targets)?;
    Ok(())
}

fn write_version(
    at_v: &Path,
    path: &str,
    version: &str,
    seed: usize,
    files: usize,
    content: &mut Content,
) -> Result<(), Box<dyn std::error::Error>> {
    let go_mod = format!("module {path}\n\ngo 1.18\n");
    fs::write(
        at_v.join(format!("{version}.info")),
        format!("{{\"Version\":\"{version}\",\"Time\":\"2023-01-02T03:04:05Z\"}}"),
    )?;
    fs::write(at_v.join(format!("{version}.mod")), &go_mod)?;
    let mut zip = zip::ZipWriter::new(fs::File::create(at_v.join(format!("{version}.zip")))?);
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let prefix = format!("{path}@{version}/");
    zip.start_file(format!("{prefix}go.mod"), opts)?;
    zip.write_all(go_mod.as_bytes())?;
    for f in 1..files {
        // Spread files over a few package directories, with sizes that vary by file.
        let name = format!("{prefix}pkg{}/file{f:04}.go", f % 8);
        zip.start_file(name, opts)?;
        if let Some(real) = content.take()? {
            zip.write_all(&real)?;
            continue;
        }
        writeln!(zip, "package pkg{}\n", f % 8)?;
        for line in 0..(f * 7 + seed) % 60 {
            writeln!(zip, "// line {line} of file {f} in {path}@{version}")?;
        }
    }
    zip.finish()?;
    Ok(())
}

/// Where file contents come from: real source files taken in turn, or none (generated text).
struct Content {
    sources: Vec<std::path::PathBuf>,
    next: usize,
}

impl Content {
    fn take(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.sources.is_empty() {
            return Ok(None);
        }
        let path = &self.sources[self.next % self.sources.len()];
        self.next += 1;
        fs::read(path).map(Some)
    }
}

/// Every regular file below `root` (symlinks not followed), in a stable order.
fn source_files(root: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}
