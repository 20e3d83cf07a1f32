//! A checksum database on 127.0.0.1 for the tests: `sumdb.NewTestServer` from the
//! `golang.org/x/mod` vendored in GOROOT, signing with go's public test key pair (the one
//! `cmd/go`'s own tests use), vouching for the modules of a `file://` proxy directory with the
//! hashes `dirhash` computes. The same server also serves that directory as a proxy under
//! `/proxy/` with a relay at `/proxy/sumdb/<name>/`, and can lie (sign wrong hashes, or sign
//! with another key) or answer every database request with one HTTP status.

use std::path::Path;
use std::process::Command;

use super::go::Go;
use super::oracle::oracle_module;

/// The test database's name.
pub const NAME: &str = "localhost.localdev/sumdb";
/// Its verifier key (public).
pub const VKEY: &str =
    "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6";
/// Its signer key: public too, in go's own tests.
const SKEY: &str =
    "PRIVATE+KEY+localhost.localdev/sumdb+00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk";

const SERVER_GO: &str = r#"package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	store := flag.String("store", "", "the file:// proxy directory vouched for")
	signer := flag.String("signer", "", "the signer key")
	foreign := flag.Bool("foreign", false, "sign with a fresh key under the same name")
	lie := flag.String("lie", "", "path@version list whose zip hash is a lie")
	status := flag.Int("status", 0, "answer every database request with this status")
	name := flag.String("name", "", "the database name")
	proxyDir := flag.String("proxydir", "", "the directory served under /proxy/ (default: -store)")
	flag.Parse()
	if *proxyDir == "" {
		*proxyDir = *store
	}
	if *foreign {
		skey, _, err := note.GenerateKey(rand.Reader, *name)
		if err != nil {
			panic(err)
		}
		*signer = skey
	}
	lies := map[string]bool{}
	for _, l := range strings.Split(*lie, ",") {
		lies[l] = l != ""
	}
	gosum := func(path, vers string) ([]byte, error) {
		epath, err := module.EscapePath(path)
		if err != nil {
			return nil, os.ErrNotExist
		}
		evers, err := module.EscapeVersion(vers)
		if err != nil {
			return nil, os.ErrNotExist
		}
		dir := filepath.Join(*store, epath, "@v")
		zipHash, err := dirhash.HashZip(filepath.Join(dir, evers+".zip"), dirhash.Hash1)
		if err != nil {
			return nil, os.ErrNotExist
		}
		mod, err := os.ReadFile(filepath.Join(dir, evers+".mod"))
		if err != nil {
			return nil, os.ErrNotExist
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(mod)), nil
		})
		if err != nil {
			return nil, err
		}
		if lies[path+"@"+vers] {
			sum := sha256.Sum256([]byte("a lie about " + path))
			zipHash = "h1:" + base64.StdEncoding.EncodeToString(sum[:])
		}
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, zipHash, path, vers, modHash)), nil
	}
	var db http.Handler = sumdb.NewServer(sumdb.NewTestServer(*signer, gosum))
	if *status != 0 {
		db = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, http.StatusText(*status), *status)
		})
	}
	relay := "/proxy/sumdb/" + *name
	mux := http.NewServeMux()
	mux.HandleFunc(relay+"/supported", func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle(relay+"/", http.StripPrefix(relay, db))
	mux.Handle("/proxy/", http.StripPrefix("/proxy", http.FileServer(http.Dir(*proxyDir))))
	mux.Handle("/", db)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	panic(http.Serve(l, mux))
}
"#;

/// A running test database (killed when dropped).
pub struct SumdbServer {
    /// Stopped when this is dropped.
    _server: super::Server,
    /// The database itself (what a GOSUMDB URL names).
    pub url: String,
    /// The proxy serving the store, whose `sumdb/<name>/supported` relays to the database.
    pub proxy: String,
}

impl SumdbServer {
    /// Starts a database vouching for `store` (a `file://` proxy directory), with `flags`
    /// (`-lie=path@version,…`, `-foreign`, `-status=503`, `-proxydir=DIR` for the directory
    /// served under `/proxy/` when it is not `store`).
    pub fn start(go: &Go, store: &Path, flags: &[&str]) -> SumdbServer {
        let module = oracle_module(go);
        let binary = module.join("sumdbserver.bin");
        if !binary.exists() {
            std::fs::create_dir_all(module.join("sumdbserver")).unwrap();
            std::fs::write(module.join("sumdbserver/main.go"), SERVER_GO).unwrap();
            let out = go
                .command(&["build", "-o"])
                .arg(&binary)
                .arg("./sumdbserver")
                .current_dir(&module)
                .env("GOPROXY", "off")
                .env("GOFLAGS", "-mod=mod")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "go build sumdbserver: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let server = super::start_server(
            Command::new(&binary)
                .arg(format!("-store={}", store.display()))
                .arg(format!("-signer={SKEY}"))
                .arg(format!("-name={NAME}"))
                .args(flags),
        );
        SumdbServer {
            url: server.url.clone(),
            proxy: format!("{}/proxy", server.url),
            _server: server,
        }
    }
}
