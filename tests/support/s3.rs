//! An S3-compatible server on 127.0.0.1 for the tests: PyPI's `moto[server]`, installed once
//! into a venv under `target/` (about 30 s, no root), and boto3 (which moto brings) to put
//! files into a bucket and list it, independently of modlens.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const MOTO: &str = "moto[server]==5.1.0";

/// The credentials the tests sign with (moto accepts any).
pub const ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "modlens-test"),
    ("AWS_SECRET_ACCESS_KEY", "modlens-test-secret"),
    ("AWS_REGION", "us-east-1"),
];

/// A running moto server (killed when dropped).
pub struct S3Server {
    child: Child,
    python: PathBuf,
    /// Its endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

fn venv() -> PathBuf {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let venv = target.join("moto-5.1.0");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join("moto-5.1.0.lock")).unwrap();
    lock.lock().unwrap();
    if venv.join("bin/moto_server").is_file() {
        return venv;
    }
    eprintln!("installing {MOTO} from PyPI into {}", venv.display());
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 runs");
    assert!(
        status.success(),
        "cannot make a venv: install Python 3 with venv"
    );
    let status = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--no-cache-dir",
            "--disable-pip-version-check",
            MOTO,
        ])
        .status()
        .unwrap();
    assert!(status.success(), "pip install {MOTO} failed");
    venv
}

impl S3Server {
    pub fn start() -> S3Server {
        let venv = venv();
        let mut child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut endpoint = None;
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.find("http://127.0.0.1:") {
                endpoint = Some(line[at..].trim().to_owned());
                break;
            }
        }
        // Keep draining, so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        S3Server {
            child,
            python: venv.join("bin/python"),
            endpoint: endpoint.expect("moto_server prints its address"),
        }
    }

    fn boto(&self, script: &str, input: &str) -> String {
        let mut child = Command::new(&self.python)
            .arg("-c")
            .arg(format!(
                "import boto3, json, sys\n\
                 s3 = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', \
                 aws_access_key_id='x', aws_secret_access_key='y')\n{script}",
                self.endpoint
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Puts each (key, file) into `bucket`, creating it if needed.
    pub fn upload(&self, bucket: &str, files: &[(String, PathBuf)]) {
        let list: Vec<(String, String)> = files
            .iter()
            .map(|(k, p)| (k.clone(), p.display().to_string()))
            .collect();
        self.boto(
            &format!(
                "b = '{bucket}'\n\
                 try:\n    s3.create_bucket(Bucket=b)\nexcept Exception:\n    pass\n\
                 for key, path in json.load(sys.stdin):\n    s3.upload_file(path, b, key)\n"
            ),
            &serde_json::to_string(&list).unwrap(),
        );
    }

    /// Every key of `bucket` below `prefix`, with its size.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
        let out = self.boto(
            &format!(
                "p = s3.get_paginator('list_objects_v2')\n\
                 out = []\n\
                 for page in p.paginate(Bucket='{bucket}', Prefix='{prefix}'):\n    \
                 out += [[o['Key'], o['Size']] for o in page.get('Contents', [])]\n\
                 print(json.dumps(out))\n"
            ),
            "",
        );
        serde_json::from_str(&out).unwrap()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file below `dir`, as (its path relative to `dir` with `/`, its path).
pub fn files_below(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            out.push((
                rel.to_string_lossy().into_owned(),
                entry.path().to_path_buf(),
            ));
        }
    }
    out
}
