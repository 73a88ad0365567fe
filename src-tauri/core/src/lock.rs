//! One change to a connection at a time, across tasks and processes: a tokio mutex inside the
//! process, then an exclusive lock on a file in the data dir. The window's refresh timer and a
//! `kanka-link token` in a terminal therefore never refresh at once.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::Duration;

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
        let file = self.open()?;
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(LockGuard { _file: file, _in_process: in_process }),
                Err(TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(TryLockError::WouldBlock) => return Err(Error::LockTimeout),
                Err(TryLockError::Error(e)) => return Err(self.failed(e)),
            }
        }
    }

    fn open(&self) -> Result<File> {
        let dir = self.path.parent().expect("a lock file has a folder");
        std::fs::create_dir_all(dir).map_err(|e| self.failed(e))?;
        OpenOptions::new().create(true).truncate(false).write(true).open(&self.path).map_err(|e| self.failed(e))
    }

    fn failed(&self, e: std::io::Error) -> Error {
        Error::Storage { what: Stored::LockFile, path: Some(self.path.clone()), detail: e.to_string() }
    }
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
