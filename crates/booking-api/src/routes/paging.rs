//! Paging of every listing: page sizes and their limits, and the cursors this API returns.

use booking_core::{FieldError, error::Problems, ids::UserId, ports::ReservationCursor};
use serde::Deserialize;
use utoipa::IntoParams;

/// Page size when the client names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most a client may ask for in one page (JSON listings).
pub const MAX_LIMIT: u32 = 100;

/// The `limit` (`default` when left out, 1 to `max`); a bad one is added to `p`.
pub fn limit(p: &mut Problems, limit: Option<u32>, default: u32, max: u32) -> usize {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        p.push(FieldError::new(
            "limit",
            format!("must be between 1 and {max}"),
        ));
    }
    limit as usize
}

fn not_ours() -> FieldError {
    FieldError::new("cursor", "is not a cursor this API returned")
}

/// The `limit` and `cursor` of a reservation listing; each bad one is added to `p`,
/// naming the parameter.
pub fn reservations(
    p: &mut Problems,
    limit_param: Option<u32>,
    cursor: Option<&str>,
    default: u32,
    max: u32,
) -> (usize, Option<ReservationCursor>) {
    let limit = limit(p, limit_param, default, max);
    let after = cursor.and_then(|c| p.check(ReservationCursor::decode(c).ok_or_else(not_ours)));
    (limit, after)
}

/// Which page of a JSON listing: the query parameters every listing but the reports' takes
/// (read beside a listing's own by [`crate::extract::PagedQuery`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100; 50 when left out.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// The `nextCursor` of the previous page; leave it out for the first page.
    #[param(value_type = String, required = false)]
    cursor: Option<String>,
}

impl PageQuery {
    /// The parameters this struct reads.
    pub const NAMES: [&str; 2] = ["limit", "cursor"];

    /// The size (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when left out) and cursor of a page
    /// of reservations; each bad one is added to `p`.
    pub fn reservations(&self, p: &mut Problems) -> (usize, Option<ReservationCursor>) {
        let cursor = self.cursor.as_deref();
        reservations(p, self.limit, cursor, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// The size and cursor of a page of users; each bad one is added to `p`.
    pub fn users(&self, p: &mut Problems) -> (usize, Option<UserId>) {
        let limit = limit(p, self.limit, DEFAULT_LIMIT, MAX_LIMIT);
        let cursor = self.cursor.as_deref();
        let after =
            cursor.and_then(|c| p.check(UserId::parse("cursor", c).map_err(|_| not_ours())));
        (limit, after)
    }
}
