//! What a change of a reservation reads before it decides (the reservation, its unit claim
//! items and its customer's bookings item, strongly consistent), and the writes that take
//! it off them again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::TransactWriteItem;
use booking_core::{
    Error,
    ids::{ReservationId, ServiceId, UserId},
    reservation::Reservation,
};
use jiff::Timestamp;

use super::{
    DynamoReservations,
    items::{
        bookings_key, claim_key, claim_pk, customer_pk, names, number_map, reservation_key, values,
    },
    tx::update,
};
use crate::dynamo::{CLAIM_ATTEMPTS, Item, from_doc, get_n, get_s, n};

/// What was read of the claim items and the customer's bookings item of one reservation.
pub(super) struct Claims {
    pub service: ServiceId,
    /// Per unit: its holders and the claim item's version (`None`: no item).
    pub units: Vec<(Timestamp, BTreeMap<String, i64>, Option<i64>)>,
    pub holds: BTreeMap<String, i64>,
    pub upcoming: BTreeMap<String, i64>,
    pub customer_version: Option<i64>,
}

impl DynamoReservations {
    pub(super) async fn read(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        let out = self.table.get(reservation_key(id)).await?;
        out.as_ref().map(from_doc).transpose()
    }

    /// Strongly consistent reads of up to 100 items; returns those found, by `PK`.
    async fn read_items(&self, keys: Vec<Item>) -> Result<HashMap<String, Item>, Error> {
        let items = self.table.batch_get(keys, CLAIM_ATTEMPTS).await?;
        Ok(items
            .into_iter()
            .filter_map(|item| Some((get_s(&item, "PK")?.to_owned(), item)))
            .collect())
    }

    /// The claim items of `units` and the customer's bookings item, read consistently (and
    /// the item under `also`): what was read, and every item found by `PK`.
    pub(super) async fn read_claims(
        &self,
        service: ServiceId,
        units: &BTreeSet<Timestamp>,
        customer: UserId,
        also: Option<Item>,
    ) -> Result<(Claims, HashMap<String, Item>), Error> {
        let mut keys: Vec<Item> = units.iter().map(|u| claim_key(service, *u)).collect();
        keys.push(bookings_key(customer));
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

    /// The claim items of every unit `r` takes, and its customer's bookings item.
    pub(super) async fn claims_of(&self, r: &Reservation) -> Result<Claims, Error> {
        let units: BTreeSet<Timestamp> = r.units.iter().copied().collect();
        let (claims, _) = self
            .read_claims(r.service_id, &units, r.customer_id, None)
            .await?;
        Ok(claims)
    }

    /// Removes `r` from every claim item and its customer's item that still lists it.
    pub(super) fn free(
        &self,
        r: &Reservation,
        claims: &Claims,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        let (id, customer) = (r.id.to_string(), r.customer_id);
        let mut writes: Vec<_> = claims
            .units
            .iter()
            .filter(|(_, holders, _)| holders.contains_key(&id))
            .map(|(unit, _, _)| {
                update(
                    self.name(),
                    claim_key(claims.service, *unit),
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
                bookings_key(customer),
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
}
