//! Locking the plain data behind the crate's mutexes (the in-memory stores, the outbox,
//! the hashing pool's spare memory).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The guard of `m`, poisoned or not: a panic while holding the lock leaves plain data
/// behind (no invariant spans two fields), so serving it beats failing every later call.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
