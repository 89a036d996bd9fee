//! An append-only list in memory: what the ledger, the notification queue and the outbox
//! keep.

use std::sync::{Mutex, MutexGuard};

use crate::sync::lock;

/// Items in the order they came, behind one mutex.
#[derive(Debug)]
pub struct MemoryLog<T> {
    inner: Mutex<Vec<T>>,
}

impl<T> Default for MemoryLog<T> {
    fn default() -> Self {
        MemoryLog {
            inner: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Clone> MemoryLog<T> {
    /// Every item, oldest first (for tests and reports).
    pub fn all(&self) -> Vec<T> {
        self.items().clone()
    }

    /// The items `keep` takes, oldest first.
    pub(super) fn filtered(&self, keep: impl Fn(&T) -> bool) -> Vec<T> {
        self.items().iter().filter(|t| keep(t)).cloned().collect()
    }
}

impl<T> MemoryLog<T> {
    /// The items, locked: an adapter's operations are atomic under this guard.
    pub(crate) fn items(&self) -> MutexGuard<'_, Vec<T>> {
        lock(&self.inner)
    }
}
