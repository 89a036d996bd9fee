//! Listing reservations and counting live claims per unit: Queries on the indexes
//! (docs/dynamodb.md: list, ClaimReader.claims).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use booking_core::{
    Error,
    ports::{ClaimCounts, ClaimQuery, ClaimReader, Page, ReservationCursor, ReservationFilter},
    reservation::Reservation,
};
use jiff::Timestamp;

use super::{
    DynamoReservations,
    items::{ceil_ms, drop_lapsed, floor_ms, names, number_map, reservation_key, sort_key, values},
};
use crate::dynamo::{from_doc, get_s, padded, query_items, s, sdk_err};

impl DynamoReservations {
    /// One page of reservations by the filter: the query of the index the filter picks,
    /// read until `limit + 1` items pass the exact filters or the index ends.
    pub(super) async fn query_page(
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
            .query()
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
                let mut k = reservation_key(c.id);
                k.insert(pk.clone(), s(pk_value.clone()));
                k.insert(sk.clone(), s(sk_value));
                k
            });
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
                if filter.selects(&r, after) && items.len() <= limit {
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
    async fn claims(&self, query: &ClaimQuery, now: Timestamp) -> Result<ClaimCounts, Error> {
        // Units start on whole milliseconds: [from, to) is [ceil(from), ceil(to) - 1] in ms.
        let (lo, hi) = (ceil_ms(query.units.start), ceil_ms(query.units.end) - 1);
        if lo > hi {
            return Ok(ClaimCounts::new());
        }
        // Eventually consistent, as GSIs are: availability is a display, and holds decide on
        // strongly consistent reads of the claim items themselves.
        let request: QueryFluentBuilder = self
            .table
            .query()
            .index_name("GSI2")
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .set_expression_attribute_names(Some(names([("#pk", "GSI2PK"), ("#sk", "GSI2SK")])))
            .set_expression_attribute_values(Some(values([
                (":pk", s(format!("CLAIMS#{}", query.service))),
                (":lo", s(padded(lo))),
                (":hi", s(padded(hi))),
            ])));
        let now_ms = floor_ms(now);
        let mut counts = ClaimCounts::new();
        for item in query_items(request, None).await? {
            let Some(unit) = get_s(&item, "GSI2SK")
                .and_then(|v| v.parse().ok())
                .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            else {
                continue;
            };
            let mut holders = number_map(Some(&item), "holders");
            drop_lapsed(&mut holders, now_ms);
            let live = holders.len();
            if live > 0 && query.units.contains(&unit) {
                counts.insert(unit, u32::try_from(live).unwrap_or(u32::MAX));
            }
        }
        Ok(counts)
    }
}
