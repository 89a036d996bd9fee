//! Paging of every listing: page sizes and their limits, and the cursors this API returns.

use booking_core::{FieldError, error::Problems, ids::UserId, ports::ReservationCursor};

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

/// The `limit` (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when left out) and `cursor` of a JSON
/// listing of reservations.
pub fn reservation_page(
    p: &mut Problems,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> (usize, Option<ReservationCursor>) {
    reservations(p, limit, cursor, DEFAULT_LIMIT, MAX_LIMIT)
}

/// The `limit` and `cursor` of the users listing.
pub fn users(
    p: &mut Problems,
    limit_param: Option<u32>,
    cursor: Option<&str>,
) -> (usize, Option<UserId>) {
    let limit = limit(p, limit_param, DEFAULT_LIMIT, MAX_LIMIT);
    let after = cursor.and_then(|c| p.check(UserId::parse("cursor", c).map_err(|_| not_ours())));
    (limit, after)
}
