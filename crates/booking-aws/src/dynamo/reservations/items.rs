//! The keys and items of reservations, slot unit claims and customers' bookings
//! (docs/dynamodb.md: reservation, slot unit claims, customer's bookings), and how their
//! instants become whole milliseconds: expiries are rounded up and `now` down, so a hold
//! never stops counting before its exact expiry.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use booking_core::{
    Error,
    ids::{ReservationId, ServiceId, UserId},
    reservation::{LimitCount, Occupancy, Reservation},
};
use jiff::Timestamp;

use crate::dynamo::{Item, doc, key, n, padded, s};

/// A confirmed reservation's claim value: later than any instant a clock will show.
pub(super) const CONFIRMED: i64 = 9_000_000_000_000_000;

/// How long a claim item outlives its unit (seconds): past units are never booked again.
const CLAIM_TTL_AFTER_UNIT: i64 = 24 * 60 * 60;

pub(super) fn floor_ms(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

pub(super) fn ceil_ms(t: Timestamp) -> i64 {
    i64::try_from(-(-t.as_nanosecond()).div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// Until when a reservation's claims count (ms, exclusive), if they count at all: its
/// [`Reservation::occupancy`] as a claim item keeps it.
pub(super) fn holder_value(r: &Reservation) -> Option<i64> {
    match r.occupancy() {
        Occupancy::ForGood => Some(CONFIRMED),
        Occupancy::Until(until) => Some(ceil_ms(until)),
        Occupancy::Nothing => None,
    }
}

/// The `PK` of a reservation's item, which its ledger entries share.
pub(crate) fn reservation_pk(id: ReservationId) -> String {
    format!("RES#{id}")
}

pub(super) fn reservation_key(id: ReservationId) -> Item {
    key(reservation_pk(id), "RES")
}

pub(super) fn claim_pk(service: ServiceId, unit: Timestamp) -> String {
    format!("CLAIM#{service}#{}", padded(unit.as_millisecond()))
}

pub(super) fn claim_key(service: ServiceId, unit: Timestamp) -> Item {
    key(claim_pk(service, unit), "CLAIM")
}

pub(super) fn customer_pk(customer: UserId) -> String {
    format!("CUSTOMER#{customer}")
}

pub(super) fn bookings_key(customer: UserId) -> Item {
    key(customer_pk(customer), "BOOKINGS")
}

/// The index sort key of a reservation: `<startMs>#<id>`.
pub(super) fn sort_key(start: Timestamp, id: ReservationId) -> String {
    format!("{}#{id}", padded(start.as_millisecond()))
}

/// The whole reservation item: `doc`, the attributes conditions read, and the index keys.
pub(super) fn reservation_item(r: &Reservation) -> Result<Item, Error> {
    let sk = sort_key(r.start, r.id);
    let mut item = reservation_key(r.id);
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

/// The whole claim item of one unit, with its holders and the version after `read`.
pub(super) fn claim_item(
    service: ServiceId,
    unit: Timestamp,
    holders: &BTreeMap<String, i64>,
    read: Option<i64>,
) -> Item {
    let mut item = claim_key(service, unit);
    item.extend([
        ("holders".to_owned(), to_number_map(holders)),
        ("version".to_owned(), n(read.unwrap_or(0) + 1)),
        ("ttl".to_owned(), n(unit.as_second() + CLAIM_TTL_AFTER_UNIT)),
        ("GSI2PK".to_owned(), s(format!("CLAIMS#{service}"))),
        ("GSI2SK".to_owned(), s(padded(unit.as_millisecond()))),
    ]);
    item
}

/// The whole bookings item of a customer, with the version after `read`.
pub(super) fn bookings_item(
    customer: UserId,
    holds: &BTreeMap<String, i64>,
    upcoming: &BTreeMap<String, i64>,
    read: Option<i64>,
) -> Item {
    let mut item = bookings_key(customer);
    item.extend([
        ("holds".to_owned(), to_number_map(holds)),
        ("upcoming".to_owned(), to_number_map(upcoming)),
        ("version".to_owned(), n(read.unwrap_or(0) + 1)),
    ]);
    item
}

/// Enters `r` in its customer's `holds` or `upcoming` map, by what it counts as against
/// the limits ([`Reservation::limit_count`]), until when (ms, rounded up).
pub(super) fn count_booking(
    r: &Reservation,
    holds: &mut BTreeMap<String, i64>,
    upcoming: &mut BTreeMap<String, i64>,
) {
    let (map, until) = match r.limit_count() {
        Some(LimitCount::Hold(until)) => (holds, until),
        Some(LimitCount::Upcoming(until)) => (upcoming, until),
        None => return,
    };
    map.insert(r.id.to_string(), ceil_ms(until));
}

/// A number map attribute (`holders`, `holds`, `upcoming`).
pub(super) fn number_map(item: Option<&Item>, name: &str) -> BTreeMap<String, i64> {
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

/// Drops the entries of a number map that no longer count at `now_ms` (ms, rounded down):
/// a holder, hold or upcoming start counts while its instant is later.
pub(super) fn drop_lapsed(map: &mut BTreeMap<String, i64>, now_ms: i64) {
    map.retain(|_, until| *until > now_ms);
}

pub(super) fn names<const N: usize>(pairs: [(&str, &str); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(super) fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
