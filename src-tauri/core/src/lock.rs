//! One change to a connection at a time, across tasks and processes: a tokio mutex inside the
//! process, then an exclusive lock on a file in the data dir. The window's refresh timer and a
//! `kanka-link token` in a terminal therefore never refresh at once. The list of connections
//! takes the same file lock, waited for without a task ([`hold_file_lock`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result, Stored};

/// Longer than any one holder needs: a token request is bounded at 30 seconds.
const WAIT_LIMIT: Duration = Duration::from_secs(120);
/// Only while another process holds the lock; never when idle.
const POLL: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct ConnectionLock {
    path: PathBuf,
    in_process: Mutex<()>,
}

/// Proof that the lock is held; the file lock goes when the file is closed.
pub struct LockGuard<'a> {
    _file: File,
    _in_process: MutexGuard<'a, ()>,
}

impl ConnectionLock {
    pub fn new(path: PathBuf) -> ConnectionLock {
        ConnectionLock { path, in_process: Mutex::new(()) }
    }

    pub async fn acquire(&self) -> Result<LockGuard<'_>> {
        let in_process = self.in_process.lock().await;
        let file = open(&self.path)?;
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        while !taken(&file, &self.path)? {
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::LockTimeout);
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(LockGuard { _file: file, _in_process: in_process })
    }
}

/// The exclusive lock on the file at `path`, waited for on this thread, `wait` at most: for a
/// change held for a read and a write (the list of connections), where a task would add
/// nothing. A holder that died let go with its process. The lock goes when the file is closed.
pub fn hold_file_lock(path: &Path, wait: Duration, poll: Duration) -> Result<File> {
    let file = open(path)?;
    let deadline = Instant::now() + wait;
    while !taken(&file, path)? {
        if Instant::now() >= deadline {
            return Err(Error::LockTimeout);
        }
        std::thread::sleep(poll);
    }
    Ok(file)
}

fn open(path: &Path) -> Result<File> {
    let dir = path.parent().expect("a lock file has a folder");
    std::fs::create_dir_all(dir).map_err(|e| failed(path, e))?;
    OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| failed(path, e))
}

/// Whether this try took the lock; `false` while another holds it.
fn taken(file: &File, path: &Path) -> Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(failed(path, e)),
    }
}

fn failed(path: &Path, e: std::io::Error) -> Error {
    Error::Storage { what: Stored::LockFile, path: Some(path.to_owned()), detail: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_holders_never_overlap_even_through_separate_files() {
        let dir = crate::files::tests::temp_dir("lock");
        // Two locks on one path behave like two processes: separate open files.
        let locks =
            [Arc::new(ConnectionLock::new(dir.join("c.lock"))), Arc::new(ConnectionLock::new(dir.join("c.lock")))];
        let inside = Arc::new(AtomicU32::new(0));
        let overlaps = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for i in 0..8 {
            let lock = locks[i % 2].clone();
            let (inside, overlaps) = (inside.clone(), overlaps.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    let _guard = lock.acquire().await.unwrap();
                    if inside.fetch_add(1, Ordering::SeqCst) != 0 {
                        overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    }
}
