//! Writing fixture modules as a `file://` GOPROXY directory: `list`, `.info`, `.mod` and `.zip`.
//!
//! The real go command then downloads from it, so the caches under test are written by go.

use std::fs;
use std::io::Write;
use std::path::Path;

use modlens::cache::module::escape;
use zip::write::SimpleFileOptions;

/// One module version to serve.
#[derive(Debug, Clone)]
pub struct FixtureModule {
    pub path: &'static str,
    pub version: &'static str,
    /// RFC 3339 publish time for `.info`.
    pub time: &'static str,
    /// The go.mod served as `.mod`; the zip contains it too unless `go_mod_in_zip` is false.
    pub go_mod: String,
    pub go_mod_in_zip: bool,
    /// Extra files, relative to the module root.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// An `Origin` object for `.info`, as JSON text.
    pub origin: Option<&'static str>,
    /// Whether the zip also has explicit directory entries (`…/sub/`), as some tools write.
    pub dir_entries: bool,
}

impl FixtureModule {
    pub fn new(path: &'static str, version: &'static str, time: &'static str) -> Self {
        FixtureModule {
            path,
            version,
            time,
            go_mod: format!("module {path}\n\ngo 1.18\n"),
            go_mod_in_zip: true,
            files: vec![(
                "doc.go",
                format!("// Package m is {path}@{version}.\npackage m\n").into_bytes(),
            )],
            origin: None,
            dir_entries: false,
        }
    }

    /// Adds explicit directory entries to the zip.
    pub fn with_dir_entries(mut self) -> Self {
        self.dir_entries = true;
        self
    }

    pub fn file(mut self, name: &'static str, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((name, content.into()));
        self
    }

    /// Serves a legacy module without go.mod: go synthesizes `module <path>`.
    pub fn without_go_mod(mut self) -> Self {
        self.go_mod = format!("module {}\n", self.path);
        self.go_mod_in_zip = false;
        self
    }

    pub fn origin(mut self, origin: &'static str) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The module zip bytes, entries prefixed `path@version/` as go requires.
    pub fn zip_bytes(&self) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let prefix = format!("{}@{}/", self.path, self.version);
        if self.go_mod_in_zip {
            zip.start_file(format!("{prefix}go.mod"), opts).unwrap();
            zip.write_all(self.go_mod.as_bytes()).unwrap();
        }
        for (name, content) in &self.files {
            if self.dir_entries
                && let Some((dir, _)) = name.rsplit_once('/')
            {
                zip.add_directory(format!("{prefix}{dir}/"), opts).unwrap();
            }
            zip.start_file(format!("{prefix}{name}"), opts).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap();
        buf.into_inner()
    }
}

/// Writes `modules` into `dir` in the GOPROXY layout.
pub fn write_proxy(dir: &Path, modules: &[FixtureModule]) {
    for m in modules {
        let at_v = dir.join(escape(m.path)).join("@v");
        fs::create_dir_all(&at_v).unwrap();
        let v = escape(m.version);
        let origin = m
            .origin
            .map(|o| format!(",\"Origin\":{o}"))
            .unwrap_or_default();
        let info = format!(
            "{{\"Version\":\"{}\",\"Time\":\"{}\"{origin}}}",
            m.version, m.time
        );
        fs::write(at_v.join(format!("{v}.info")), info).unwrap();
        fs::write(at_v.join(format!("{v}.mod")), &m.go_mod).unwrap();
        fs::write(at_v.join(format!("{v}.zip")), m.zip_bytes()).unwrap();
        let mut list = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(at_v.join("list"))
            .unwrap();
        writeln!(list, "{}", m.version).unwrap();
    }
}

/// The standard fixture set: mixed-case paths, a prerelease with upper case, `+incompatible`,
/// pseudo-versions, a nested tree, a non-ASCII file name, a `/v2` module beside its v1 and an
/// `.info` with `Origin`.
pub fn standard_modules() -> Vec<FixtureModule> {
    vec![
        FixtureModule::new("example.com/MixedCase", "v1.2.3", "2023-01-02T03:04:05Z")
            .file("hello.go", "package m\n\nfunc Hello() string { return \"hello\" }\n")
            .file("sub/data.txt", "some data\n"),
        FixtureModule::new("example.com/MixedCase", "v1.3.0-RC1", "2023-02-01T00:00:00Z"),
        FixtureModule::new("example.com/MixedCase", "v1.3.0-beta.1", "2023-02-02T00:00:00Z"),
        FixtureModule::new("example.com/legacy", "v2.0.0+incompatible", "2019-05-06T07:08:09Z")
            .without_go_mod(),
        FixtureModule::new("example.com/pseudo", "v0.0.0-20230101000000-abcdefabcdef", "2023-01-01T00:00:00Z"),
        FixtureModule::new("example.com/pseudo", "v1.2.4-0.20230105000000-abcdefabcdef", "2023-01-05T00:00:00Z"),
        FixtureModule::new("example.com/nested", "v1.0.0", "2022-06-01T00:00:00Z")
            .file("a/b/c/d/deep.go", "package d\n")
            .file("a/b/other.txt", "x\n"),
        FixtureModule::new("example.com/nested/v2", "v2.1.0", "2024-03-04T05:06:07Z")
            .file("v2.go", "package m\n")
            .origin(r#"{"VCS":"git","URL":"https://example.com/nested","Ref":"refs/tags/v2.1.0","Hash":"0123456789abcdef0123456789abcdef01234567"}"#),
        FixtureModule::new("example.com/unicode", "v1.0.0", "2021-07-08T09:10:11Z")
            .file("données/é.txt", "bonjour\n"),
    ]
}

/// A zip written byte by byte, entries stored (not compressed) in the given order, names
/// verbatim: for shapes the zip crate refuses to write, such as a repeated name.
pub fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let le16 = |v: u16| v.to_le_bytes();
    let le32 = |v: u32| v.to_le_bytes();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = libdeflater::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let sizes = [crc.sum(), data.len() as u32, data.len() as u32];
        out.extend(le32(0x0403_4b50));
        out.extend([le16(20), le16(0), le16(0)].concat());
        out.extend(le32(0));
        sizes.iter().for_each(|v| out.extend(le32(*v)));
        out.extend([le16(name.len() as u16), le16(0)].concat());
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(le32(0x0201_4b50));
        central.extend([le16(20), le16(20), le16(0), le16(0)].concat());
        central.extend(le32(0));
        sizes.iter().for_each(|v| central.extend(le32(*v)));
        central.extend(le16(name.len() as u16));
        central.extend([0; 12]);
        central.extend(le32(offset));
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend(central);
    out.extend(le32(0x0605_4b50));
    out.extend([0; 4]);
    out.extend(le16(entries.len() as u16));
    out.extend(le16(entries.len() as u16));
    out.extend(le32(cd_size));
    out.extend(le32(cd_offset));
    out.extend(le16(0));
    out
}
