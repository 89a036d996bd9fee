//! The payment ledger in memory.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;

use super::MemoryLog;
use crate::{
    Error,
    ids::ReservationId,
    payment::{LedgerEntry, PaymentLedger},
};

/// The append-only ledger in memory.
pub type MemoryLedger = MemoryLog<LedgerEntry>;

#[async_trait]
impl PaymentLedger for MemoryLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<LedgerEntry, Error> {
        let mut g = self.items();
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
        Ok(self.filtered(|e| e.reservation_id == reservation))
    }

    async fn entries_of(&self, reservations: &[ReservationId]) -> Result<Vec<LedgerEntry>, Error> {
        let wanted: HashSet<&ReservationId> = reservations.iter().collect();
        Ok(self.filtered(|e| wanted.contains(&e.reservation_id)))
    }

    async fn between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<LedgerEntry>, Error> {
        Ok(self.filtered(|e| e.at >= from && e.at < to))
    }
}
