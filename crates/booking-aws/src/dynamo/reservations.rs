//! Reservations, their slot unit claims, each customer's bookings counters and the
//! idempotency keys in DynamoDB (docs/dynamodb.md, ADR 5): the adapter behind
//! [`ReservationStore`] and [`ClaimReader`] in production.
//!
//! A unit claim item keeps, per reservation that claims the unit, the instant until which
//! the claim counts (the hold's expiry, or "forever" once confirmed); a customer's bookings
//! item keeps the same for the limits. Every write that changes them is one
//! TransactWriteItems conditioned on what was read (a `version`, or the presence of a
//! holder), so concurrent holds never check-then-insert: one of them wins a contested
//! item, the others read again and decide again.
//!
//! Instants in the claim and bookings items are whole milliseconds: expiries are rounded
//! up and `now` down, so a hold never stops counting before its exact expiry.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::anyhow;
use async_trait::async_trait;
use aws_sdk_dynamodb::{
    operation::{
        query::builders::QueryFluentBuilder, transact_write_items::TransactWriteItemsError,
    },
    types::{AttributeValue, Put, TransactWriteItem, Update},
};
use booking_core::{
    Error,
    ids::{ReservationId, ServiceId, UserId},
    ports::{
        ClaimCounts, ClaimReader, Held, HoldLimits, Page, ReservationCursor, ReservationFilter,
        ReservationStore,
    },
    reservation::{Actor, Failure, Reservation, Status},
};
use jiff::Timestamp;

use super::{
    Item, PutNew, Table, backoff, cancellation_reasons, doc, from_doc, get_n, get_s, n, padded_ms,
    query_items, s, sdk_err, store_err,
};

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

/// Reads and conditional writes tried per operation before it gives up. More than the other
/// adapters' [`super::MAX_ATTEMPTS`]: a hold contends on each of its units and on the
/// customer's item at once.
const ATTEMPTS: u32 = 8;

/// A confirmed reservation's claim value: later than any instant a clock will show.
const CONFIRMED: i64 = 9_000_000_000_000_000;

/// How long a claim item outlives its unit (seconds): past units are never booked again.
const CLAIM_TTL_AFTER_UNIT: i64 = 24 * 60 * 60;

/// Reservations, slot claims and idempotency keys in the booking table.
#[derive(Clone, Debug)]
pub struct DynamoReservations {
    table: Table,
}

impl DynamoReservations {
    pub fn new(table: Table) -> Self {
        DynamoReservations { table }
    }
}

/// The outcome of one transaction: committed, or cancelled with DynamoDB's reason code
/// per item, in the order they were sent.
enum Tx {
    Committed,
    Cancelled(Vec<String>),
}

const CHECK_FAILED: &str = "ConditionalCheckFailed";

/// Cancellation reasons worth reading again and retrying for: someone else's write won.
fn contended(codes: &[String]) -> bool {
    codes.iter().all(|c| {
        matches!(
            c.as_str(),
            "None"
                | CHECK_FAILED
                | "TransactionConflict"
                | "ThrottlingError"
                | "ProvisionedThroughputExceeded"
        )
    })
}

fn floor_ms(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

fn ceil_ms(t: Timestamp) -> i64 {
    i64::try_from(-(-t.as_nanosecond()).div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

fn padded(ms: i64) -> String {
    format!("{ms:015}")
}

/// Until when a reservation's claims count (ms, exclusive), if they count at all.
fn holder_value(r: &Reservation) -> Option<i64> {
    match r.status {
        Status::Confirmed => Some(CONFIRMED),
        Status::PendingPayment => Some(ceil_ms(r.hold_expires_at)),
        _ => None,
    }
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

fn reservation_pk(id: ReservationId) -> String {
    format!("RES#{id}")
}

fn claim_pk(service: ServiceId, unit: Timestamp) -> String {
    format!("CLAIM#{service}#{}", padded_ms(unit))
}

fn customer_pk(customer: UserId) -> String {
    format!("CUSTOMER#{customer}")
}

fn sort_key(start: Timestamp, id: ReservationId) -> String {
    format!("{}#{id}", padded_ms(start))
}

/// The whole reservation item: `doc`, the attributes conditions read, and the index keys.
fn reservation_item(r: &Reservation) -> Result<Item, Error> {
    let sk = sort_key(r.start, r.id);
    let mut item = key(reservation_pk(r.id), "RES");
    item.extend([
        ("doc".to_owned(), doc(r)?),
        ("status".to_owned(), s(r.status.as_str())),
        ("holdExpiresAt".to_owned(), n(ceil_ms(r.hold_expires_at))),
        ("version".to_owned(), n(r.version)),
        ("GSI1PK".to_owned(), s(format!("CUST#{}", r.customer_id))),
        ("GSI1SK".to_owned(), s(sk.clone())),
        ("GSI2PK".to_owned(), s(format!("SVC#{}", r.service_id))),
        ("GSI2SK".to_owned(), s(sk.clone())),
        ("GSI3PK".to_owned(), s("RESERVATIONS")),
        ("GSI3SK".to_owned(), s(sk)),
    ]);
    Ok(item)
}

/// A number map attribute (`holders`, `holds`, `upcoming`).
fn number_map(item: Option<&Item>, name: &str) -> BTreeMap<String, i64> {
    let map = item.and_then(|i| i.get(name)).and_then(|v| v.as_m().ok());
    map.map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_n().ok()?.parse().ok()?)))
            .collect()
    })
    .unwrap_or_default()
}

fn to_number_map(map: &BTreeMap<String, i64>) -> AttributeValue {
    AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), n(v))).collect())
}

fn names<const N: usize>(pairs: [(&str, &str); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The conditional Put of an item read with `version` (`None`: it did not exist).
fn put_versioned(table: &str, item: Item, read: Option<i64>) -> Result<TransactWriteItem, Error> {
    let put = Put::builder().table_name(table).set_item(Some(item));
    let put = match read {
        Some(v) => put
            .condition_expression("#v = :v")
            .set_expression_attribute_names(Some(names([("#v", "version")])))
            .set_expression_attribute_values(Some(values([(":v", n(v))]))),
        None => put.condition_expression("attribute_not_exists(PK)"),
    };
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(store_err)?)
        .build())
}

fn update(
    table: &str,
    key: Item,
    expression: &str,
    condition: &str,
    names: HashMap<String, String>,
    values: Item,
) -> Result<TransactWriteItem, Error> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .condition_expression(condition)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A status change of a stored reservation, conditioned on the status and version read.
fn put_changed(
    table: &str,
    next: &Reservation,
    read: &Reservation,
) -> Result<TransactWriteItem, Error> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(reservation_item(next)?))
        .condition_expression("#status = :status AND #v = :v")
        .set_expression_attribute_names(Some(names([("#status", "status"), ("#v", "version")])))
        .set_expression_attribute_values(Some(values([
            (":status", s(read.status.as_str())),
            (":v", n(read.version)),
        ])))
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// What was read of the claim items and the customer's bookings item of one reservation.
struct Claims {
    service: ServiceId,
    /// Per unit: its holders and the claim item's version (`None`: no item).
    units: Vec<(Timestamp, BTreeMap<String, i64>, Option<i64>)>,
    holds: BTreeMap<String, i64>,
    upcoming: BTreeMap<String, i64>,
    customer_version: Option<i64>,
}

impl DynamoReservations {
    fn name(&self) -> &str {
        &self.table.name
    }

    /// Strongly consistent reads of up to 100 items; returns those found, by `PK`.
    async fn read_items(&self, keys: Vec<Item>) -> Result<HashMap<String, Item>, Error> {
        let items = self.table.batch_get(keys, ATTEMPTS).await?;
        Ok(items
            .into_iter()
            .filter_map(|item| Some((get_s(&item, "PK")?.to_owned(), item)))
            .collect())
    }

    /// The claim items of `units` and the customer's bookings item, read consistently.
    async fn read_claims(
        &self,
        service: ServiceId,
        units: &BTreeSet<Timestamp>,
        customer: UserId,
        also: Option<Item>,
    ) -> Result<(Claims, HashMap<String, Item>), Error> {
        let mut keys: Vec<Item> = units
            .iter()
            .map(|u| key(claim_pk(service, *u), "CLAIM"))
            .collect();
        keys.push(key(customer_pk(customer), "BOOKINGS"));
        keys.extend(also);
        let found = self.read_items(keys).await?;
        let units = units
            .iter()
            .map(|u| {
                let item = found.get(&claim_pk(service, *u));
                (
                    *u,
                    number_map(item, "holders"),
                    item.and_then(|i| get_n(i, "version")),
                )
            })
            .collect();
        let bookings = found.get(&customer_pk(customer));
        let claims = Claims {
            service,
            units,
            holds: number_map(bookings, "holds"),
            upcoming: number_map(bookings, "upcoming"),
            customer_version: bookings.and_then(|i| get_n(i, "version")),
        };
        Ok((claims, found))
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Tx, Error> {
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            // A fresh token per attempt makes the SDK's own retries of it idempotent: a request
            // that committed but whose answer was lost is then answered as committed.
            .client_request_token(ulid::Ulid::generate().to_string())
            .send()
            .await;
        let e = match result {
            Ok(_) => return Ok(Tx::Committed),
            Err(e) => e,
        };
        if let Some(reasons) = cancellation_reasons(&e) {
            let codes = reasons
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "None".into()))
                .collect();
            return Ok(Tx::Cancelled(codes));
        }
        match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                Ok(Tx::Cancelled(vec!["TransactionConflict".into()]))
            }
            _ => Err(sdk_err(e)),
        }
    }

    /// Removes `id` from every claim item and the customer's item that still lists it.
    fn free(
        &self,
        id: ReservationId,
        claims: &Claims,
        customer: UserId,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        let id = id.to_string();
        let mut writes: Vec<_> = claims
            .units
            .iter()
            .filter(|(_, holders, _)| holders.contains_key(&id))
            .map(|(unit, _, _)| {
                update(
                    self.name(),
                    key(claim_pk(claims.service, *unit), "CLAIM"),
                    "REMOVE #h.#id SET #v = #v + :one",
                    "attribute_exists(#h.#id)",
                    names([("#h", "holders"), ("#id", &id), ("#v", "version")]),
                    values([(":one", n(1))]),
                )
            })
            .collect::<Result<_, _>>()?;
        if claims.holds.contains_key(&id) || claims.upcoming.contains_key(&id) {
            writes.push(update(
                self.name(),
                key(customer_pk(customer), "BOOKINGS"),
                "REMOVE #holds.#id, #up.#id SET #v = #v + :one",
                "attribute_exists(PK)",
                names([
                    ("#holds", "holds"),
                    ("#up", "upcoming"),
                    ("#id", &id),
                    ("#v", "version"),
                ]),
                values([(":one", n(1))]),
            )?);
        }
        Ok(writes)
    }

    async fn read(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        let out = self.table.get(key(reservation_pk(id), "RES")).await?;
        out.as_ref().map(from_doc).transpose()
    }

    /// Runs read-decide-write rounds until one commits or needs no write. A round whose
    /// transaction loses a race is tried again after a jittered backoff, at most
    /// [`ATTEMPTS`] times; every round reads and decides afresh, so a rule that now refuses
    /// the change (the slot filled, the hold lapsed, the status moved on) is what the caller
    /// hears. An error of a round ends the operation.
    async fn until_committed<T, F>(
        &self,
        op: &str,
        mut round: impl FnMut() -> F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<Step<T>, Error>>,
    {
        let mut codes = Vec::new();
        for attempt in 0..=ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            match round().await? {
                Step::Done(answer) => return Ok(answer),
                Step::Again => {}
                Step::Write(..) if attempt == ATTEMPTS => break,
                Step::Write(writes, answer) => match self.transact(writes).await? {
                    Tx::Committed => return Ok(answer),
                    Tx::Cancelled(c) if contended(&c) => codes = c,
                    Tx::Cancelled(c) => return Err(refused(op, &c)),
                },
            }
        }
        Err(gave_up(op, &codes))
    }
}

/// What one round of a read-decide-write operation came to.
enum Step<T> {
    /// The answer, with nothing (more) to write.
    Done(T),
    /// Something changed under the round before it could write: read and decide again.
    Again,
    /// One transaction to write, and the answer once it commits.
    Write(Vec<TransactWriteItem>, T),
}

fn gave_up(op: &str, codes: &[String]) -> Error {
    store_err(anyhow!(
        "{op}: still contended after {ATTEMPTS} attempts (last cancellation reasons: {codes:?})"
    ))
}

fn refused(op: &str, codes: &[String]) -> Error {
    store_err(anyhow!("{op}: transaction cancelled: {codes:?}"))
}

fn missing() -> Error {
    Error::NotFound("reservation")
}

#[async_trait]
impl ReservationStore for DynamoReservations {
    #[tracing::instrument(skip_all, fields(customer_id = %customer, reservation_id = %id))]
    async fn claim_key(
        &self,
        customer: UserId,
        idempotency_key: &str,
        fingerprint: &str,
        id: ReservationId,
    ) -> Result<(ReservationId, String), Error> {
        let idem = key(format!("IDEM#{customer}#{idempotency_key}"), "IDEM");
        let mut item = idem.clone();
        item.insert("reservationId".into(), s(id.to_string()));
        item.insert("fingerprint".into(), s(fingerprint));
        // Taken: the first writer's binding stands, and bindings never change.
        let stored = match self.table.put_new(item).await? {
            PutNew::Written => return Ok((id, fingerprint.to_owned())),
            PutNew::Exists(Some(stored)) => stored,
            PutNew::Exists(None) => self
                .table
                .get(idem)
                .await?
                .ok_or_else(|| store_err(anyhow!("idempotency key item vanished")))?,
        };
        let item = &stored;
        let bound = get_s(item, "reservationId")
            .and_then(|v| ReservationId::parse("reservationId", v).ok())
            .ok_or_else(|| store_err(anyhow!("idempotency key item without a reservation id")))?;
        let first = get_s(item, "fingerprint").unwrap_or_default().to_owned();
        Ok((bound, first))
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation.id))]
    async fn hold(
        &self,
        reservation: &Reservation,
        capacity: u32,
        limits: HoldLimits,
        now: Timestamp,
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
        let now_ms = floor_ms(now);
        self.until_committed("hold", move || async move {
            let (read, found) = self
                .read_claims(
                    reservation.service_id,
                    units,
                    reservation.customer_id,
                    Some(key(reservation_pk(reservation.id), "RES")),
                )
                .await?;
            if let Some(item) = found.get(&reservation_pk(reservation.id)) {
                return Ok(Step::Done(Held::Existing(from_doc(item)?)));
            }
            let mut holds = read.holds.clone();
            let mut upcoming = read.upcoming.clone();
            holds.retain(|_, until| *until > now_ms);
            upcoming.retain(|_, start| *start > now_ms);
            if holds.len() >= limits.max_active_holds {
                return Err(Error::LimitExceeded(format!(
                    "at most {} bookings may be in payment at once",
                    limits.max_active_holds
                )));
            }
            if upcoming.len() >= limits.max_upcoming {
                return Err(Error::LimitExceeded(format!(
                    "at most {} upcoming reservations per customer",
                    limits.max_upcoming
                )));
            }
            let live = |holders: &BTreeMap<String, i64>| {
                let count = holders.values().filter(|until| **until > now_ms).count();
                u32::try_from(count).unwrap_or(u32::MAX)
            };
            if read.units.iter().any(|(_, h, _)| live(h) >= capacity) {
                return Err(Error::SlotUnavailable);
            }

            let mut writes = Vec::with_capacity(units.len() + 2);
            let put = Put::builder()
                .table_name(self.name())
                .set_item(Some(reservation_item(reservation)?))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(store_err)?;
            writes.push(TransactWriteItem::builder().put(put).build());
            let value = holder_value(reservation);
            for (unit, holders, version) in &read.units {
                // Claims that no longer count are dropped as the item is rewritten.
                let mut holders = holders.clone();
                holders.retain(|_, until| *until > now_ms);
                if let Some(v) = value {
                    holders.insert(id.clone(), v);
                }
                let mut item = key(claim_pk(reservation.service_id, *unit), "CLAIM");
                item.extend([
                    ("holders".to_owned(), to_number_map(&holders)),
                    ("version".to_owned(), n(version.unwrap_or(0) + 1)),
                    ("ttl".to_owned(), n(unit.as_second() + CLAIM_TTL_AFTER_UNIT)),
                    (
                        "GSI2PK".to_owned(),
                        s(format!("CLAIMS#{}", reservation.service_id)),
                    ),
                    ("GSI2SK".to_owned(), s(padded_ms(*unit))),
                ]);
                writes.push(put_versioned(self.name(), item, *version)?);
            }
            match reservation.status {
                Status::PendingPayment => {
                    holds.insert(id.clone(), ceil_ms(reservation.hold_expires_at));
                }
                Status::Confirmed => {
                    upcoming.insert(id.clone(), ceil_ms(reservation.start));
                }
                _ => {}
            }
            let mut item = key(customer_pk(reservation.customer_id), "BOOKINGS");
            item.extend([
                ("holds".to_owned(), to_number_map(&holds)),
                ("upcoming".to_owned(), to_number_map(&upcoming)),
                (
                    "version".to_owned(),
                    n(read.customer_version.unwrap_or(0) + 1),
                ),
            ]);
            writes.push(put_versioned(self.name(), item, read.customer_version)?);

            Ok(Step::Write(writes, Held::Created(reservation.clone())))
        })
        .await
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        self.read(id).await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let holder = &id.to_string();
        self.until_committed("confirm", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            if r.status == Status::Confirmed {
                return Ok(Step::Done(r));
            }
            if r.status == Status::PendingPayment && now >= r.hold_expires_at {
                return Err(Error::HoldExpired);
            }
            let mut next = r.clone();
            next.transition(Status::Confirmed, now, Actor::System, "payment captured")?;
            next.payment_reference = Some(payment_reference.to_owned());
            let units: BTreeSet<Timestamp> = r.units.iter().copied().collect();
            let (claims, _) = self
                .read_claims(r.service_id, &units, r.customer_id, None)
                .await?;
            if claims.units.iter().any(|(_, h, _)| !h.contains_key(holder)) {
                // Only two writes take a holder away: a release or cancel, which change the
                // reservation, and a later hold that judged this one expired by its clock.
                let again = self.read(id).await?.ok_or_else(missing)?;
                if again.version == r.version {
                    return Err(Error::HoldExpired);
                }
                return Ok(Step::Again);
            }

            let mut writes = Vec::with_capacity(units.len() + 2);
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
            for unit in &units {
                writes.push(update(
                    self.name(),
                    key(claim_pk(r.service_id, *unit), "CLAIM"),
                    "SET #h.#id = :confirmed, #v = #v + :one",
                    "attribute_exists(#h.#id)",
                    names([("#h", "holders"), ("#id", holder), ("#v", "version")]),
                    values([(":confirmed", n(CONFIRMED)), (":one", n(1))]),
                )?);
            }
            if claims.customer_version.is_some() {
                writes.push(update(
                    self.name(),
                    key(customer_pk(r.customer_id), "BOOKINGS"),
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
            let units: BTreeSet<Timestamp> = r.units.iter().copied().collect();
            let (claims, _) = self
                .read_claims(r.service_id, &units, r.customer_id, None)
                .await?;
            let mut writes = Vec::with_capacity(units.len() + 2);
            if let Some(next) = &next {
                writes.push(put_changed(self.name(), next, &r)?);
            }
            writes.extend(self.free(id, &claims, r.customer_id)?);
            if writes.is_empty() {
                return Ok(Step::Done(r));
            }
            Ok(Step::Write(writes, next.unwrap_or(r)))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    async fn record_visit(
        &self,
        id: ReservationId,
        outcome: Status,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        // The claims stay as they are: a visit that took place (or was missed) keeps its
        // units, which lie in the past anyway.
        self.until_committed("record_visit", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            if !next.record_visit(outcome, actor, now)? {
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
        refund_due_minor: i64,
        actor: Actor,
        reason: &str,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.until_committed("cancel", move || async move {
            let r = self.read(id).await?.ok_or_else(missing)?;
            let mut next = r.clone();
            next.transition(Status::Cancelled, now, actor, reason)?;
            next.refund_due_minor = Some(refund_due_minor);
            // A cancelled reservation occupies nothing: its claims go with the status change.
            let units: BTreeSet<Timestamp> = r.units.iter().copied().collect();
            let (claims, _) = self
                .read_claims(r.service_id, &units, r.customer_id, None)
                .await?;
            let mut writes = vec![put_changed(self.name(), &next, &r)?];
            writes.extend(self.free(id, &claims, r.customer_id)?);
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
        let empty = Page {
            items: Vec::new(),
            next: None,
        };
        if limit == 0
            || matches!((filter.from, filter.to), (Some(f), Some(t)) if f >= t)
            || matches!((after, filter.to), (Some(c), Some(t)) if c.start >= t)
        {
            return Ok(empty);
        }
        let (index, pk_value) = match (filter.customer, filter.service) {
            (Some(c), _) => ("GSI1", format!("CUST#{c}")),
            (None, Some(svc)) => ("GSI2", format!("SVC#{svc}")),
            (None, None) => ("GSI3", "RESERVATIONS".to_owned()),
        };
        let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
        let mut names = names([("#pk", pk.as_str())]);
        let mut vals = values([(":pk", s(pk_value.clone()))]);
        // The sort key is `<startMs>#<id>`; bounds on whole milliseconds select a superset,
        // which the exact filter below trims.
        let lo = filter.from.map(|f| padded(floor_ms(f)));
        let hi = filter.to.map(ceil_ms);
        if lo.is_some() || hi.is_some() {
            names.insert("#sk".into(), sk.clone());
        }
        let key_condition = match (&lo, hi) {
            (None, None) => "#pk = :pk",
            (Some(lo), None) => {
                vals.insert(":lo".into(), s(lo));
                "#pk = :pk AND #sk >= :lo"
            }
            (None, Some(hi)) => {
                vals.insert(":hi".into(), s(padded(hi)));
                "#pk = :pk AND #sk < :hi"
            }
            (Some(lo), Some(hi)) => {
                vals.insert(":lo".into(), s(lo));
                // '~' sorts after every character of a ULID.
                vals.insert(":hi".into(), s(format!("{}#~", padded(hi - 1))));
                "#pk = :pk AND #sk BETWEEN :lo AND :hi"
            }
        };
        let mut conditions = Vec::new();
        if let Some(status) = filter.status {
            names.insert("#status".into(), "status".into());
            vals.insert(":status".into(), s(status.as_str()));
            conditions.push("#status = :status");
        }
        if let (Some(_), Some(svc)) = (filter.customer, filter.service) {
            names.insert("#svc".into(), "GSI2PK".into());
            vals.insert(":svc".into(), s(format!("SVC#{svc}")));
            conditions.push("#svc = :svc");
        }
        let query = self
            .table
            .client
            .query()
            .table_name(self.name())
            .index_name(index)
            .key_condition_expression(key_condition)
            .set_filter_expression((!conditions.is_empty()).then(|| conditions.join(" AND ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(vals));
        // Resume after the cursor, unless `from` already starts later (a start key outside
        // the key condition is refused by DynamoDB).
        let mut start = after
            .map(|c| sort_key(c.start, c.id))
            .filter(|c| lo.as_ref().is_none_or(|lo| c >= lo))
            .zip(after)
            .map(|(sk_value, c)| {
                let mut k = key(reservation_pk(c.id), "RES");
                k.insert(pk.clone(), s(pk_value.clone()));
                k.insert(sk.clone(), s(sk_value));
                k
            });
        let keep = |r: &Reservation| {
            filter.customer.is_none_or(|c| r.customer_id == c)
                && filter.status.is_none_or(|st| r.status == st)
                && filter.service.is_none_or(|svc| r.service_id == svc)
                && filter.from.is_none_or(|t| r.start >= t)
                && filter.to.is_none_or(|t| r.start < t)
                && after.is_none_or(|c| (r.start, r.id) > (c.start, c.id))
        };
        // Pages until limit + 1 items pass the filters (one more says there is a next page)
        // or the index runs out.
        let mut items = Vec::new();
        loop {
            let wanted = i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX);
            let out = query
                .clone()
                .set_exclusive_start_key(start)
                .limit(wanted.clamp(1, 1000))
                .send()
                .await
                .map_err(sdk_err)?;
            for item in out.items() {
                let r: Reservation = from_doc(item)?;
                if keep(&r) && items.len() <= limit {
                    items.push(r);
                }
            }
            match out.last_evaluated_key {
                Some(last) if !last.is_empty() && items.len() <= limit => start = Some(last),
                _ => break,
            }
        }
        Ok(Page::from_overfetch(items, limit, ReservationCursor::after))
    }
}

#[async_trait]
impl ClaimReader for DynamoReservations {
    async fn claims(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<ClaimCounts, Error> {
        // Units start on whole milliseconds: [from, to) is [ceil(from), ceil(to) - 1] in ms.
        let (lo, hi) = (ceil_ms(from), ceil_ms(to) - 1);
        if lo > hi {
            return Ok(ClaimCounts::new());
        }
        // Eventually consistent, as GSIs are: availability is a display, and holds decide on
        // strongly consistent reads of the claim items themselves.
        let query: QueryFluentBuilder = self
            .table
            .client
            .query()
            .table_name(self.name())
            .index_name("GSI2")
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .set_expression_attribute_names(Some(names([("#pk", "GSI2PK"), ("#sk", "GSI2SK")])))
            .set_expression_attribute_values(Some(values([
                (":pk", s(format!("CLAIMS#{service}"))),
                (":lo", s(padded(lo))),
                (":hi", s(padded(hi))),
            ])));
        let now_ms = floor_ms(now);
        let mut counts = ClaimCounts::new();
        for item in query_items(query, None).await? {
            let Some(unit) = get_s(&item, "GSI2SK")
                .and_then(|v| v.parse().ok())
                .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            else {
                continue;
            };
            let live = number_map(Some(&item), "holders")
                .values()
                .filter(|until| **until > now_ms)
                .count();
            if live > 0 && unit >= from && unit < to {
                counts.insert(unit, u32::try_from(live).unwrap_or(u32::MAX));
            }
        }
        Ok(counts)
    }
}
