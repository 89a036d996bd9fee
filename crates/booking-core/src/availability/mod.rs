//! Availability: every bookable start of a service. A real instant is open when its
//! wall-clock reading in the business zone lies inside that date's opening hours, and every
//! open instant on the slot grid is offered exactly once: nothing at a local time that a
//! spring-forward gap skips, and both passes of an hour that a fall-back fold repeats, each
//! with its own offset (docs/adr/0007-every-instant-once.md).

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, DateTime, Time},
    tz::{AmbiguousOffset, Offset, TimeZone},
};

use crate::{
    Error, FieldError,
    catalog::Service,
    ports::ClaimCounts,
    settings::{OpenInterval, Settings},
};

/// The longest range one availability request may ask for.
pub const MAX_RANGE_DAYS: i32 = 31;

/// An inclusive range of local dates, at most [`MAX_RANGE_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    from: Date,
    to: Date,
}

impl DateRange {
    pub fn new(from: Date, to: Date) -> Result<Self, FieldError> {
        DateRange::at_most(from, to, MAX_RANGE_DAYS)
    }

    /// `from..=to`, refused (on `to`) when reversed or longer than `max_days`.
    pub fn at_most(from: Date, to: Date, max_days: i32) -> Result<Self, FieldError> {
        if to < from {
            return Err(FieldError::new("to", "must not be before from"));
        }
        let days = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
        if days >= max_days {
            return Err(FieldError::new(
                "to",
                format!("must be at most {max_days} days after from, inclusive"),
            ));
        }
        Ok(DateRange { from, to })
    }

    pub fn dates(self) -> impl Iterator<Item = Date> {
        let to = self.to;
        std::iter::successors(Some(self.from), move |d| {
            d.tomorrow().ok().filter(|n| *n <= to)
        })
    }
}

/// A bookable start with how many more customers it can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub remaining: u32,
    /// The business zone, so the times can be shown with the offset in force at each
    /// instant.
    pub tz: TimeZone,
}

/// RFC 3339 with the zone's offset at that instant, e.g. `2026-03-29T03:00:00+02:00`.
pub fn rfc3339(ts: Timestamp, tz: &TimeZone) -> String {
    ts.display_with_offset(tz.to_offset(ts)).to_string()
}

/// The instants that bound a local date range (from the claim unit of its first midnight,
/// with a day's margin for bookings that run past midnight), to fetch the claims that can
/// touch it.
pub fn window(settings: &Settings, range: DateRange) -> Result<(Timestamp, Timestamp), Error> {
    let tz = settings.time_zone();
    let start = unit_of(local_midnight(tz, range.from));
    let end = range
        .to
        .checked_add(jiff::Span::new().days(2))
        .map(|d| local_midnight(tz, d))
        .map_err(|_| Error::invalid("to", "is out of range"))?;
    Ok((start, end))
}

pub(crate) fn local_midnight(tz: &TimeZone, date: Date) -> Timestamp {
    resolve_compatible(tz, date.to_datetime(Time::midnight()))
}

/// Local wall-clock time to instant for day boundaries; a time in a gap moves forward, a
/// repeated one takes its first occurrence (RFC 5545 "compatible"). Opening hours do not use
/// it: see [`open_pieces`].
fn resolve_compatible(tz: &TimeZone, dt: DateTime) -> Timestamp {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(dt)
        }
        AmbiguousOffset::Gap { before, .. } => before.to_timestamp(dt),
    }
    .unwrap_or(Timestamp::MAX)
}

/// `ts + d`, pinned to the end of time rather than failing (only absurd inputs get there).
pub fn plus(ts: Timestamp, d: SignedDuration) -> Timestamp {
    ts.checked_add(d).unwrap_or(Timestamp::MAX)
}

/// A local date plus minutes since its midnight (1440 is the next midnight).
fn at_minute(date: Date, minute: u16) -> DateTime {
    date.to_datetime(Time::midnight())
        .checked_add(jiff::Span::new().minutes(i64::from(minute)))
        .unwrap_or(DateTime::MAX)
}

fn minutes(m: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(m))
}

/// A stretch `[start, end)` of real time during which the zone keeps one offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    start: Timestamp,
    end: Timestamp,
    offset: Offset,
}

/// The real time an opening interval of `date` is open: every instant whose wall-clock
/// reading lies in `[open, close)`, as pieces of one offset each, in order. An interval
/// across a fold holds both passes (two pieces that touch), an end inside a fold applies to
/// both passes (the pieces leave a hole: the clock read past closing time), and a skipped
/// local time holds nothing, so an end inside a gap falls on the jump.
fn open_pieces(tz: &TimeZone, date: Date, iv: &OpenInterval) -> Vec<Piece> {
    let from = at_minute(date, iv.open.minutes());
    let to = at_minute(date, iv.close.minutes());
    // No zone's offset reaches 26 hours, so these bound every instant reading [from, to).
    let margin = SignedDuration::from_hours(26);
    let (Ok(lo), Ok(hi)) = (Offset::UTC.to_timestamp(from), Offset::UTC.to_timestamp(to)) else {
        return Vec::new();
    };
    let lo = lo.checked_sub(margin).unwrap_or(Timestamp::MIN);
    let hi = plus(hi, margin);
    let ends = tz
        .following(lo)
        .map(|t| t.timestamp())
        .take_while(|t| *t < hi)
        .chain(std::iter::once(hi));
    let mut out = Vec::new();
    let mut cur = lo;
    for next in ends {
        let offset = tz.to_offset(cur);
        if let (Ok(a), Ok(b)) = (offset.to_timestamp(from), offset.to_timestamp(to)) {
            let (start, end) = (a.max(cur), b.min(next));
            if start < end {
                out.push(Piece { start, end, offset });
            }
        }
        cur = next;
    }
    out
}

/// Every start of a local date that honours opening hours and breaks, closures, and the
/// service's duration plus buffer fitting in the interval without crossing a stretch of
/// closed time; nothing else. Sorted by instant, each once.
fn starts_on(settings: &Settings, service: &Service, date: Date) -> Vec<Timestamp> {
    let tz = settings.time_zone();
    let step = i64::from(settings.slot_minutes()) * 60;
    let block = minutes(service.duration_minutes + service.buffer_minutes);
    let mut out = Vec::new();
    for iv in settings.hours_on(date) {
        let pieces = open_pieces(tz, date, iv);
        // A booking may run across an offset change but not across a hole in the interval.
        for run in pieces.chunk_by(|a, b| a.end == b.start) {
            let Some(close) = run.last().map(|p| p.end) else {
                continue;
            };
            for p in run {
                // The grid is on the wall clock: readings a whole number of slots after
                // midnight, which is what `check_start` asks of a start too.
                let off = i64::from(p.offset.seconds());
                let first = p.start.as_second() + off;
                let mut reading = first + (-first).rem_euclid(step);
                while let Ok(start) = Timestamp::from_second(reading - off) {
                    if start >= p.end {
                        break;
                    }
                    if start >= p.start && plus(start, block) <= close {
                        out.push(start);
                    }
                    reading += step;
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How many real minutes a local date is open: the real time of its intervals as
/// [`open_pieces`] finds it, the same time its starts are offered in, so a repeated hour
/// counts twice and a skipped one not at all.
pub fn open_minutes_on(settings: &Settings, date: Date) -> i64 {
    let tz = settings.time_zone();
    settings
        .hours_on(date)
        .iter()
        .flat_map(|iv| open_pieces(tz, date, iv))
        .map(|p| p.end.duration_since(p.start).as_mins())
        .sum()
}

/// The claim unit: slot claims count the places taken per bucket of this many minutes of
/// absolute time, aligned to the Unix epoch. It is the finest grid a business may choose,
/// and it depends on neither the grid nor the zone in force, so a settings change moves no
/// claim: two bookings that overlap at any instant claim a bucket in common, whenever and
/// under whatever settings each was made (ADR 5).
pub const CLAIM_UNIT_MINUTES: u32 = 5;

/// The most a service may block per booking, duration plus buffer: its claims, with the
/// reservation and the customer's counters, must fit one DynamoDB transaction of 100 items.
pub const MAX_BLOCK_MINUTES: u32 = 450;

/// The most claim units one booking takes: 90 for a block of [`MAX_BLOCK_MINUTES`] from a
/// start on a unit boundary, as every start is in a zone whose offset is whole 5 minutes
/// (every zone today); one more covers a start between boundaries.
pub const MAX_CLAIM_UNITS: usize = (MAX_BLOCK_MINUTES / CLAIM_UNIT_MINUTES) as usize + 1;

/// The start of the claim unit that holds `t`.
pub fn unit_of(t: Timestamp) -> Timestamp {
    let unit = i128::from(CLAIM_UNIT_MINUTES) * 60 * 1_000_000_000;
    Timestamp::from_nanosecond(t.as_nanosecond().div_euclid(unit) * unit).unwrap_or(Timestamp::MIN)
}

/// The claim units a booking of `service` starting at `start` takes: every bucket that its
/// duration plus buffer, `[start, start + duration + buffer)`, overlaps.
pub fn units(service: &Service, start: Timestamp) -> Vec<Timestamp> {
    let end = plus(
        start,
        minutes(service.duration_minutes + service.buffer_minutes),
    );
    let step = minutes(CLAIM_UNIT_MINUTES);
    std::iter::successors(Some(unit_of(start)), |u| u.checked_add(step).ok())
        .take_while(|u| *u < end)
        .collect()
}

/// Every start in `range` that honours opening hours and breaks, closures, the service's
/// duration plus buffer fitting before the interval closes, minimum notice, maximum
/// advance and the capacity left by existing claims: the places left at a start are the
/// fewest any of its claim units has. Fully booked starts are omitted.
pub fn slots(
    settings: &Settings,
    service: &Service,
    range: DateRange,
    now: Timestamp,
    claims: &ClaimCounts,
) -> Vec<Slot> {
    let tz = settings.time_zone();
    let (earliest, latest) = bookable_window(service, now);
    let mut out = Vec::new();
    for date in range.dates() {
        for start in starts_on(settings, service, date) {
            if start < earliest || start > latest {
                continue;
            }
            let taken = units(service, start)
                .iter()
                .map(|u| claims.get(u).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            let remaining = service.capacity.saturating_sub(taken);
            if remaining > 0 {
                out.push(Slot {
                    start,
                    end: plus(start, minutes(service.duration_minutes)),
                    remaining,
                    tz: tz.clone(),
                });
            }
        }
    }
    // Each date's starts are in order; a fold across midnight could interleave two dates.
    out.sort_by_key(|s| s.start);
    out
}

fn bookable_window(service: &Service, now: Timestamp) -> (Timestamp, Timestamp) {
    let earliest = plus(now, minutes(service.min_notice_minutes));
    let latest = plus(
        now,
        SignedDuration::from_hours(24 * i64::from(service.max_advance_days)),
    );
    (earliest, latest)
}

/// Checks that `start` is a bookable start of `service` at `now`, naming the broken rule;
/// returns the end and the units it claims. Capacity is the store's to check, atomically.
pub fn check_start(
    settings: &Settings,
    service: &Service,
    start: Timestamp,
    now: Timestamp,
) -> Result<(Timestamp, Vec<Timestamp>), Error> {
    let rule = |reason: String| {
        Err(Error::Rule {
            field: "start",
            reason,
        })
    };
    let (earliest, latest) = bookable_window(service, now);
    if start <= now {
        return rule("is in the past".into());
    }
    if start < earliest {
        return rule(format!(
            "is inside the minimum notice of {} minutes",
            service.min_notice_minutes
        ));
    }
    if start > latest {
        return rule(format!(
            "is more than {} days ahead",
            service.max_advance_days
        ));
    }
    let tz = settings.time_zone();
    let local = start.to_zoned_datetime(tz.clone());
    let slot = i32::from(settings.slot_minutes());
    let minute_of_day = i32::from(local.hour()) * 60 + i32::from(local.minute());
    if local.second() != 0 || local.subsec_nanosecond() != 0 || minute_of_day % slot != 0 {
        return rule(format!("is not on the {slot}-minute slot grid"));
    }
    if starts_on(settings, service, local.date())
        .binary_search(&start)
        .is_err()
    {
        return rule(
            "is not a bookable start: outside opening hours, or the service does not end \
             before closing"
                .into(),
        );
    }
    Ok((
        plus(start, minutes(service.duration_minutes)),
        units(service, start),
    ))
}

#[cfg(test)]
mod tests;
