//! The payment ledger (docs/dynamodb.md: ledger entry): one item per (reservation, kind),
//! next to the reservation's own item, and listed by time through GSI3.

use async_trait::async_trait;
use booking_core::{
    Error,
    ids::ReservationId,
    payment::{EntryKind, LedgerEntry, PaymentLedger},
};
use jiff::Timestamp;

use super::{
    ATTEMPTS, Item, PutNew, Table, doc, from_doc, key, padded, query_docs,
    reservations::reservation_pk, s, store_err,
};

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Charge => "charge",
        EntryKind::Refund => "refund",
    }
}

/// Next to the reservation's own item: the same `PK`.
fn entry_key(reservation: ReservationId, kind: EntryKind) -> Item {
    key(
        reservation_pk(reservation),
        format!("LEDGER#{}", kind_name(kind)),
    )
}

/// [`PaymentLedger`] on the booking table; entries are written once and never changed.
#[derive(Clone, Debug)]
pub struct DynamoLedger {
    table: Table,
}

impl DynamoLedger {
    pub fn new(table: Table) -> Self {
        DynamoLedger { table }
    }

    async fn stored(
        &self,
        reservation: ReservationId,
        kind: EntryKind,
    ) -> Result<LedgerEntry, Error> {
        let out = self.table.get(entry_key(reservation, kind)).await?;
        let item = out.ok_or_else(|| {
            store_err(anyhow::anyhow!(
                "the ledger entry vanished after its write was refused"
            ))
        })?;
        from_doc(&item)
    }
}

#[async_trait]
impl PaymentLedger for DynamoLedger {
    #[tracing::instrument(skip_all, fields(reservation_id = %entry.reservation_id, kind = kind_name(entry.kind)))]
    async fn record(&self, entry: &LedgerEntry) -> Result<LedgerEntry, Error> {
        let mut item = entry_key(entry.reservation_id, entry.kind);
        item.insert("doc".into(), doc(entry)?);
        item.insert("GSI3PK".into(), s("LEDGER"));
        item.insert(
            "GSI3SK".into(),
            s(format!(
                "{}#{}#{}",
                padded(entry.at.as_millisecond()),
                entry.reservation_id,
                kind_name(entry.kind)
            )),
        );
        // The first writer's entry stands.
        match self.table.put_new(item).await? {
            PutNew::Written => Ok(entry.clone()),
            PutNew::Exists(Some(stored)) => from_doc(&stored),
            PutNew::Exists(None) => self.stored(entry.reservation_id, entry.kind).await,
        }
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation))]
    async fn entries(&self, reservation: ReservationId) -> Result<Vec<LedgerEntry>, Error> {
        let query = self
            .table
            .query()
            .consistent_read(true)
            .key_condition_expression("PK = :pk AND begins_with(SK, :ledger)")
            .expression_attribute_values(":pk", s(reservation_pk(reservation)))
            .expression_attribute_values(":ledger", s("LEDGER#"));
        let mut entries: Vec<LedgerEntry> = query_docs(query).await?;
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }

    #[tracing::instrument(skip_all, fields(reservations = reservations.len()))]
    async fn entries_of(&self, reservations: &[ReservationId]) -> Result<Vec<LedgerEntry>, Error> {
        // Both possible entries of every reservation by key: one BatchGetItem per 50.
        let keys = reservations
            .iter()
            .flat_map(|id| [EntryKind::Charge, EntryKind::Refund].map(|k| entry_key(*id, k)))
            .collect();
        self.table
            .batch_get(keys, ATTEMPTS)
            .await?
            .iter()
            .map(from_doc)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(%from, %to))]
    async fn between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<LedgerEntry>, Error> {
        if from >= to {
            return Ok(Vec::new());
        }
        // The key bounds whole milliseconds ("$" sorts after "#", so the upper bound takes in
        // every entry of `to`'s millisecond); the exact instants decide `[from, to)`.
        let query = self
            .table
            .query()
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s("LEDGER"))
            .expression_attribute_values(":from", s(padded(from.as_millisecond())))
            .expression_attribute_values(":to", s(format!("{}$", padded(to.as_millisecond()))));
        let mut entries: Vec<LedgerEntry> = query_docs(query).await?;
        entries.retain(|e| e.at >= from && e.at < to);
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }
}
