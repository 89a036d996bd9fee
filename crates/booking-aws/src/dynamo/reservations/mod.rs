//! Reservations, their slot unit claims, each customer's bookings counters and the
//! idempotency keys in DynamoDB (docs/dynamodb.md, ADR 5): the adapter behind
//! [`ReservationStore`] and [`ClaimReader`](booking_core::ports::ClaimReader) in production.
//!
//! A unit claim item keeps, per reservation that claims the unit, the instant until which
//! the claim counts (the hold's expiry, or "forever" once confirmed); a customer's bookings
//! item keeps the same for the limits. Every write that changes them is one
//! TransactWriteItems conditioned on what was read (a `version`, or the presence of a
//! holder), so concurrent holds never check-then-insert: one of them wins a contested
//! item, the others read again and decide again.
//!
//! This file is the protocol: what each operation reads, decides (with booking-core's
//! rules) and writes. `items` has the keys and the item codec, `claims` the reads an
//! operation decides on, `tx` the transactions and their retries, `query` the listings.

mod claims;
mod items;
mod query;
mod tx;

pub(crate) use items::reservation_pk;

use std::collections::BTreeSet;

use anyhow::anyhow;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use booking_core::{
    Error,
    holds::decide_hold,
    ids::{ReservationId, UserId},
    payment::Payment,
    ports::{
        Cancellation, Held, HoldLimits, KeyBinding, Page, ReservationCursor, ReservationFilter,
        ReservationStore, Visit,
    },
    reservation::{Failure, Reservation, Status},
};
use jiff::Timestamp;

use super::{PutNew, Table, from_doc, get_s, key, n, s, store_err, transact_put_new};
use claims::Claims;
use items::{
    CONFIRMED, bookings_item, bookings_key, ceil_ms, claim_item, claim_key, count_booking,
    drop_lapsed, floor_ms, holder_value, names, reservation_item, reservation_key, values,
};
use tx::{Step, put_changed, put_versioned, update};

/// The most slot units a reservation claims: what booking-core's cap on a service's
/// duration plus buffer allows (ADR 5). A hold writes them in one TransactWriteItems with
/// the reservation and the customer's bookings item, after reading the same items in one
/// BatchGetItem.
pub const MAX_UNITS: usize = booking_core::availability::MAX_CLAIM_UNITS;

/// The most items one TransactWriteItems (and one BatchGetItem) takes.
const MAX_TRANSACTION_ITEMS: usize = 100;

const _: () = assert!(
    MAX_UNITS + 2 <= MAX_TRANSACTION_ITEMS,
    "the longest service's claims, its reservation and the customer's item must fit one \
     transaction: lower availability::MAX_BLOCK_MINUTES"
);

/// Reservations, slot claims and idempotency keys in the booking table.
#[derive(Clone, Debug)]
pub struct DynamoReservations {
    table: Table,
}

impl DynamoReservations {
    pub fn new(table: Table) -> Self {
        DynamoReservations { table }
    }

    fn name(&self) -> &str {
        &self.table.name
    }
}

fn missing() -> Error {
    Error::NotFound("reservation")
}

#[async_trait]
impl ReservationStore for DynamoReservations {
    #[tracing::instrument(skip_all, fields(customer_id = %customer, reservation_id = %binding.id))]
    async fn claim_key(
        &self,
        customer: UserId,
        idempotency_key: &str,
        binding: &KeyBinding,
    ) -> Result<KeyBinding, Error> {
        let idem = key(format!("IDEM#{customer}#{idempotency_key}"), "IDEM");
        let mut item = idem.clone();
        item.insert("reservationId".into(), s(binding.id.to_string()));
        item.insert("fingerprint".into(), s(&binding.fingerprint));
        // Taken: the first writer's binding stands, and bindings never change.
        let stored = match self.table.put_new(item).await? {
            PutNew::Written => return Ok(binding.clone()),
            PutNew::Exists(Some(stored)) => stored,
            PutNew::Exists(None) => self
                .table
                .get(idem)
                .await?
                .ok_or_else(|| store_err(anyhow!("idempotency key item vanished")))?,
        };
        let item = &stored;
        let id = get_s(item, "reservationId")
            .and_then(|v| ReservationId::parse("reservationId", v).ok())
            .ok_or_else(|| store_err(anyhow!("idempotency key item without a reservation id")))?;
        let fingerprint = get_s(item, "fingerprint").unwrap_or_default().to_owned();
        Ok(KeyBinding { id, fingerprint })
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation.id))]
    async fn hold(
        &self,
        reservation: &Reservation,
        capacity: u32,
        limits: HoldLimits,
    ) -> Result<Held, Error> {
        // Borrowed, not moved, by each round of the closure below.
        let units: &BTreeSet<Timestamp> = &reservation.units.iter().copied().collect();
        if units.len() > MAX_UNITS {
            return Err(store_err(anyhow!(
                "a reservation claiming {} slot units cannot be held: the longest service \
                 claims at most {MAX_UNITS}",
                units.len()
            )));
        }
        let id = &reservation.id.to_string();
        let now_ms = floor_ms(reservation.created_at);
        self.until_committed("hold", move || async move {
            let (read, found) = self
                .read_claims(
                    reservation.service_id,
                    units,
                    reservation.customer_id,
                    Some(reservation_key(reservation.id)),
                )
                .await?;
            if let Some(item) = found.get(&reservation_pk(reservation.id)) {
                return Ok(Step::Done(Held::Existing(from_doc(item)?)));
            }
            let Claims {
                units: mut claimed,
                mut holds,
                mut upcoming,
                customer_version,
                ..
            } = read;
            // What no longer counts is dropped before counting, and stays dropped as the
            // items are rewritten.
            drop_lapsed(&mut holds, now_ms);
            drop_lapsed(&mut upcoming, now_ms);
            for (_, holders, _) in &mut claimed {
                drop_lapsed(holders, now_ms);
            }
            let live = claimed
                .iter()
                .map(|(_, holders, _)| u32::try_from(holders.len()).unwrap_or(u32::MAX));
            decide_hold(limits, holds.len(), upcoming.len(), live, capacity)?;

            let mut writes = Vec::with_capacity(units.len() + 2);
            writes.push(transact_put_new(
                self.name(),
                reservation_item(reservation)?,
            )?);
            let value = holder_value(reservation);
            for (unit, mut holders, version) in claimed {
                if let Some(v) = value {
                    holders.insert(id.clone(), v);
                }
                let item = claim_item(reservation.service_id, unit, &holders, version);
                writes.push(put_versioned(self.name(), item, version)?);
            }
            count_booking(reservation, &mut holds, &mut upcoming);
            let item = bookings_item(reservation.customer_id, &holds, &upcoming, customer_version);
            writes.push(put_versioned(self.name(), item, customer_version)?);

            Ok(Step::Write(writes, Held::Created(reservation.clone())))
        })
        .await
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        self.read(id).await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn confirm(&self, id: ReservationId, now: Timestamp) -> Result<Reservation, Error> {
        let holder = &id.to_string();
        self.until_committed("confirm", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            if !next.confirm(now)? {
                return Ok(Step::Done(r));
            }
            let claims = self.claims_of(&r).await?;
            if claims.units.iter().any(|(_, h, _)| !h.contains_key(holder)) {
                // Only two writes take a holder away: a release or cancel, which change the
                // reservation, and a later hold that judged this one expired by its clock.
                let again = self.read(id).await?.ok_or_else(missing)?;
                if again.version == r.version {
                    return Err(Error::HoldExpired);
                }
                return Ok(Step::Again);
            }

            let mut writes = Vec::with_capacity(claims.units.len() + 2);
            let put = Put::builder()
                .table_name(self.name())
                .set_item(Some(reservation_item(&next)?))
                .condition_expression("#status = :pending AND #exp > :now AND #v = :v")
                .set_expression_attribute_names(Some(names([
                    ("#status", "status"),
                    ("#exp", "holdExpiresAt"),
                    ("#v", "version"),
                ])))
                .set_expression_attribute_values(Some(values([
                    (":pending", s(Status::PendingPayment.as_str())),
                    (":now", n(floor_ms(now))),
                    (":v", n(r.version)),
                ])))
                .build()
                .map_err(store_err)?;
            writes.push(TransactWriteItem::builder().put(put).build());
            for (unit, _, _) in &claims.units {
                writes.push(update(
                    self.name(),
                    claim_key(r.service_id, *unit),
                    "SET #h.#id = :confirmed, #v = #v + :one",
                    "attribute_exists(#h.#id)",
                    names([("#h", "holders"), ("#id", holder), ("#v", "version")]),
                    values([(":confirmed", n(CONFIRMED)), (":one", n(1))]),
                )?);
            }
            if claims.customer_version.is_some() {
                writes.push(update(
                    self.name(),
                    bookings_key(r.customer_id),
                    "REMOVE #holds.#id SET #up.#id = :start, #v = #v + :one",
                    "attribute_exists(PK)",
                    names([
                        ("#holds", "holds"),
                        ("#up", "upcoming"),
                        ("#id", holder),
                        ("#v", "version"),
                    ]),
                    values([(":start", n(ceil_ms(r.start))), (":one", n(1))]),
                )?);
            }
            Ok(Step::Write(writes, next))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn release(
        &self,
        id: ReservationId,
        failure: Option<Failure>,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let failure = &failure; // each round clones what it records
        self.until_committed("release", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            let next = next.fail_for_release(failure.clone(), now)?.then_some(next);
            let frees = self.free(&r, &self.claims_of(&r).await?)?;
            let mut writes = Vec::with_capacity(frees.len() + 1);
            if let Some(next) = &next {
                writes.push(put_changed(self.name(), next, &r)?);
            }
            writes.extend(frees);
            if writes.is_empty() {
                return Ok(Step::Done(r));
            }
            Ok(Step::Write(writes, next.unwrap_or(r)))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn revoke(
        &self,
        id: ReservationId,
        failure: Failure,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let failure = &failure; // each round clones what it records
        self.until_committed("revoke", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            if !next.revoke(failure.clone(), now)? {
                return Ok(Step::Done(r));
            }
            let mut writes = vec![put_changed(self.name(), &next, &r)?];
            writes.extend(self.free(&r, &self.claims_of(&r).await?)?);
            Ok(Step::Write(writes, next))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn record_payment(
        &self,
        id: ReservationId,
        payment: &Payment,
    ) -> Result<Reservation, Error> {
        // The payment lives in the reservation's item alone: no claim changes with it.
        self.until_committed("record_payment", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            if !next.record_payment(payment)? {
                return Ok(Step::Done(r));
            }
            let writes = vec![put_changed(self.name(), &next, &r)?];
            Ok(Step::Write(writes, next))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn record_visit(
        &self,
        id: ReservationId,
        visit: Visit,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        // The claims stay as they are: a visit that took place (or was missed) keeps its
        // units, which lie in the past anyway.
        self.until_committed("record_visit", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            if !next.record_visit(visit.outcome, visit.actor, now)? {
                return Ok(Step::Done(r));
            }
            let writes = vec![put_changed(self.name(), &next, &r)?];
            Ok(Step::Write(writes, next))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn cancel(
        &self,
        id: ReservationId,
        c: Cancellation<'_>,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.until_committed("cancel", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            next.cancel(c.refund_due_minor, c.actor, c.reason, now)?;
            // A cancelled reservation occupies nothing: its claims go with the status change.
            let claims = self.claims_of(&r).await?;
            let mut writes = vec![put_changed(self.name(), &next, &r)?];
            writes.extend(self.free(&r, &claims)?);
            Ok(Step::Write(writes, next))
        })
        .await
    }

    async fn list(
        &self,
        filter: &ReservationFilter,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<Page<Reservation>, Error> {
        self.query_page(filter, after, limit).await
    }
}
