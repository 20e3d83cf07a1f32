//! Private temp directories: `$TMPDIR/modlens-<what>-<random>`, an unpredictable name created
//! exclusively (never an existing directory or link), with mode 0700 whatever the umask, so
//! that another user of a shared temp dir can neither predict, prepare nor read into it. The
//! `tempfile` crate gives the name and the exclusive creation; its default mode follows the
//! umask (0755 under the usual 022), hence the explicit mode.

use std::os::unix::fs::PermissionsExt;

/// Creates `$TMPDIR/modlens-<what>-<random>`, removed when the handle is dropped.
pub fn private_temp_dir(what: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("modlens-{what}-"))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_dir_is_0700_whatever_the_umask() {
        // (Under the usual umask 022, tempfile's own default would be 0755.)
        let dir = private_temp_dir("test").unwrap();
        let mode = std::fs::symlink_metadata(dir.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o700);
        assert!(
            dir.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("modlens-test-")
        );
    }
}
