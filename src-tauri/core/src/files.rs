//! Where Kanka Link keeps its files, and how it writes them so a crash never leaves half a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, Stored};

const APP_DIR: &str = "kanka-link";

/// The platform folders (Linux: `$XDG_CONFIG_HOME/kanka-link`, `$XDG_DATA_HOME/kanka-link` and
/// `$XDG_STATE_HOME/kanka-link/logs`).
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    pub fn platform() -> Result<Paths> {
        let config = dirs::config_dir().ok_or_else(|| missing_folder(Stored::ConfigFolder))?;
        let data = dirs::data_dir().ok_or_else(|| missing_folder(Stored::DataFolder))?;
        // Logs are state, not data, where the platform makes the difference (Linux).
        let logs = dirs::state_dir().or_else(dirs::data_local_dir).ok_or_else(|| missing_folder(Stored::LogFolder))?;
        Ok(Paths {
            config_file: config.join(APP_DIR).join("config.toml"),
            data_dir: data.join(APP_DIR),
            log_dir: logs.join(APP_DIR).join("logs"),
        })
    }

    /// Everything under one folder; for tests and portable set-ups.
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_file: root.join("config").join("config.toml"),
            data_dir: root.join("data"),
            log_dir: root.join("logs"),
        }
    }
}

/// A platform folder this user has none of.
pub(crate) fn missing_folder(what: Stored) -> Error {
    let detail = "the platform has no such folder for this user (is HOME set?)".to_owned();
    Error::Storage { what, path: None, detail }
}

/// Replaces `path`, which is `what`, with `contents` in one step: a reader sees the old file or
/// the new one.
pub fn write_atomically(what: Stored, path: &Path, contents: &[u8]) -> Result<()> {
    let fail = |e: std::io::Error| Error::Storage { what, path: Some(path.to_owned()), detail: e.to_string() };
    let dir = path.parent().expect("a file path has a parent");
    fs::create_dir_all(dir).map_err(fail)?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().expect("a file path has a name").to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = private_file(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // The rename itself must reach the disk too, or a power cut can undo it.
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(fail)
}

/// Removes a file, which is `what`; one that is already gone is fine.
pub fn remove(what: Stored, path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::Storage { what, path: Some(path.to_owned()), detail: e.to_string() })
        }
        _ => Ok(()),
    }
}

/// Our files hold no secrets, but they are nobody else's business either.
pub(crate) fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh folder under the target dir's temp area, unique per test.
    pub(crate) fn temp_dir(name: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kanka-link-unit-{}-{name}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = temp_dir("atomic");
        let path = dir.join("sub").join("status.json");
        write_atomically(Stored::StatusFile, &path, b"one").unwrap();
        write_atomically(Stored::StatusFile, &path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("status.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn removing_a_missing_file_is_fine() {
        let dir = temp_dir("remove");
        remove(Stored::StatusFile, &dir.join("absent")).unwrap();
    }
}
