//! The payment ledger in memory.

use std::{collections::HashSet, sync::Mutex};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    ids::ReservationId,
    payment::{LedgerEntry, PaymentLedger},
    sync::lock,
};

/// The append-only ledger in memory.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    inner: Mutex<Vec<LedgerEntry>>,
}

impl MemoryLedger {
    /// Every entry, oldest first (for tests and reports).
    pub fn all(&self) -> Vec<LedgerEntry> {
        lock(&self.inner).clone()
    }
}

#[async_trait]
impl PaymentLedger for MemoryLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<LedgerEntry, Error> {
        let mut g = lock(&self.inner);
        if let Some(e) = g
            .iter()
            .find(|e| e.reservation_id == entry.reservation_id && e.kind == entry.kind)
        {
            return Ok(e.clone());
        }
        g.push(entry.clone());
        Ok(entry.clone())
    }

    async fn entries(&self, reservation: ReservationId) -> Result<Vec<LedgerEntry>, Error> {
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| e.reservation_id == reservation)
            .cloned()
            .collect())
    }

    async fn entries_of(&self, reservations: &[ReservationId]) -> Result<Vec<LedgerEntry>, Error> {
        let wanted: HashSet<&ReservationId> = reservations.iter().collect();
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| wanted.contains(&e.reservation_id))
            .cloned()
            .collect())
    }

    async fn between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<LedgerEntry>, Error> {
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| e.at >= from && e.at < to)
            .cloned()
            .collect())
    }
}
