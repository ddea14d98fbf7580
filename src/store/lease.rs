//! The lease that keeps `store gc` from deleting an object that a writer is about to
//! reference. A writer takes a shared lease before it stores a program and keeps it until
//! the trace library refers to the program; `gc` takes the lock exclusively before it
//! reads the library's references and keeps it until it has deleted what they do not
//! name. So `gc` sees every reference a finished writer made, and no writer is between
//! storing and referencing while `gc` runs. The lock is an advisory file lock
//! (`objects/gc.lock`), released by the system when its process ends, however it ends.

use std::fs::{File, OpenOptions};

use super::StoreError;
use super::objects::ObjectStore;

/// The lock file's name in the object folder.
pub const LOCK_FILE: &str = "gc.lock";

/// A held lease or lock; released when dropped.
#[derive(Debug)]
pub struct Lease {
    _file: File,
}

impl ObjectStore {
    /// A shared lease for a writer: `gc` waits until it is dropped.
    pub fn lease(&self) -> Result<Lease, StoreError> {
        self.lock_file(false)
    }

    /// The exclusive lock of `gc`: waits for every writer's lease to be dropped, and
    /// holds new writers off until it is dropped.
    pub fn lock_for_gc(&self) -> Result<Lease, StoreError> {
        self.lock_file(true)
    }

    fn lock_file(&self, exclusive: bool) -> Result<Lease, StoreError> {
        let path = self.dir().join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io("opening", &path, e))?;
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(|e| StoreError::io("locking", &path, e))?;
        Ok(Lease { _file: file })
    }
}
