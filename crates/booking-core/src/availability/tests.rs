//! Tests of [`super`].

use std::collections::BTreeSet;

use super::*;
use crate::{catalog::CancellationPolicy, ids::ServiceId, money::Currency, settings::SettingsDoc};

fn settings(tz: &str, slot: u16, hours: serde_json::Value) -> Settings {
    let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
        "timeZone": tz, "slotMinutes": slot, "weeklyHours": hours,
    }))
    .unwrap();
    Settings::try_from(doc).unwrap()
}

/// The same hours every day of the week.
fn every_day(tz: &str, slot: u16, day: &serde_json::Value) -> Settings {
    let week = serde_json::json!({
        "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day
    });
    settings(tz, slot, week)
}

fn all_day(tz: &str, slot: u16) -> Settings {
    every_day(
        tz,
        slot,
        &serde_json::json!([{"open": "00:00", "close": "24:00"}]),
    )
}

fn service(duration: u32, buffer: u32, capacity: u32) -> Service {
    Service {
        id: ServiceId::new(),
        name: "Test".into(),
        description: String::new(),
        duration_minutes: duration,
        buffer_minutes: buffer,
        price_minor: 1000,
        currency: Currency::parse("currency", "EUR").unwrap(),
        capacity,
        min_notice_minutes: 0,
        max_advance_days: 730,
        cancellation: CancellationPolicy::default(),
        prepayment: Default::default(),
        active: true,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

fn day(y: i16, m: i8, d: i8) -> DateRange {
    let date = Date::new(y, m, d).unwrap();
    DateRange::new(date, date).unwrap()
}

fn long_ago() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// The starts of `service` in `range` with nothing claimed, asked long before.
fn free_slots(s: &Settings, service: &Service, range: DateRange) -> Vec<Slot> {
    slots(s, service, range, long_ago(), &ClaimCounts::new())
}

/// The free starts on `date` of a one-place `minutes`-long service, open all day in `tz` on
/// a `slot`-minute grid.
fn all_day_slots(tz: &str, slot: u16, minutes: u32, date: DateRange) -> Vec<Slot> {
    free_slots(&all_day(tz, slot), &service(minutes, 0, 1), date)
}

fn starts(slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|s| rfc3339(s.start, &s.tz)).collect()
}

/// The local end of the first slot whose local start contains `start`.
fn end_of(slots: &[Slot], start: &str) -> String {
    let slot = slots
        .iter()
        .find(|x| rfc3339(x.start, &x.tz).contains(start))
        .unwrap();
    rfc3339(slot.end, &slot.tz)
}

fn local_times(slots: &[Slot]) -> Vec<String> {
    starts(slots).iter().map(|s| s[11..16].to_owned()).collect()
}

fn assert_each_local_time_once(slots: &[Slot]) {
    let times = local_times(slots);
    let unique: BTreeSet<_> = times.iter().collect();
    assert_eq!(
        unique.len(),
        times.len(),
        "a local time is listed twice: {times:?}"
    );
}

/// Every start a distinct instant, in order.
fn assert_in_order_once(slots: &[Slot]) {
    assert!(
        slots.windows(2).all(|w| w[0].start < w[1].start),
        "starts out of order or repeated: {:?}",
        starts(slots)
    );
}

#[test]
fn open_minutes_count_real_minutes_across_daylight_saving_changes() {
    // Given Madrid open all day, every day
    let s = all_day("Europe/Madrid", 15);
    let date = |d: &str| d.parse::<Date>().unwrap();
    // Then an ordinary day has 1440 open minutes, spring-forward 1380, fall-back 1500
    assert_eq!(open_minutes_on(&s, date("2026-03-28")), 1440);
    assert_eq!(open_minutes_on(&s, date("2026-03-29")), 1380);
    assert_eq!(open_minutes_on(&s, date("2026-10-25")), 1500);
    // And a day with two intervals sums them; a closed day has none
    let split = settings(
        "Europe/Madrid",
        15,
        serde_json::json!({"mon": [{"open": "09:00", "close": "13:00"},
                                   {"open": "14:00", "close": "19:30"}]}),
    );
    assert_eq!(open_minutes_on(&split, date("2026-11-30")), 570);
    assert_eq!(open_minutes_on(&split, date("2026-12-01")), 0);
}

#[test]
fn madrid_spring_forward_has_no_slot_in_the_missing_hour() {
    // Given 30-minute slots all day in Madrid, where 2026-03-29 02:00 jumps to 03:00
    // When the availability of that Sunday is computed
    let slots = all_day_slots("Europe/Madrid", 30, 30, day(2026, 3, 29));
    // Then 02:00 and 02:30 do not exist and the offsets change from +01:00 to +02:00
    assert_eq!(slots.len(), 46);
    let st = starts(&slots);
    assert!(st.contains(&"2026-03-29T01:30:00+01:00".to_owned()));
    assert!(st.contains(&"2026-03-29T03:00:00+02:00".to_owned()));
    assert!(!local_times(&slots).iter().any(|t| t.starts_with("02:")));
    assert_each_local_time_once(&slots);
    // And a slot before the jump ends after it, an hour of real time being 30 minutes
    assert_eq!(end_of(&slots, "T01:30"), "2026-03-29T03:00:00+02:00");
}

#[test]
fn madrid_fall_back_offers_both_passes_of_the_repeated_hour() {
    // Given 30-minute slots all day in Madrid, where 2026-10-25 03:00 goes back to 02:00
    // When the availability of that Sunday is computed
    let slots = all_day_slots("Europe/Madrid", 30, 30, day(2026, 10, 25));
    // Then its 25 hours hold 50 starts: 02:00 and 02:30 twice, once with each offset
    assert_eq!(slots.len(), 50);
    let st = starts(&slots);
    for pass in [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
    ] {
        assert_eq!(st.iter().filter(|x| *x == pass).count(), 1, "{pass}");
    }
    assert_in_order_once(&slots);
    // And the end of the first 02:30 carries the offset in force at the end instant
    assert_eq!(
        end_of(&slots, "2026-10-25T02:30:00+02:00"),
        "2026-10-25T02:00:00+01:00"
    );
}

#[test]
fn new_york_spring_forward_skips_the_gap_and_keeps_offsets_right() {
    let slots = all_day_slots("America/New_York", 15, 60, day(2026, 3, 8));
    let st = starts(&slots);
    assert!(!local_times(&slots).iter().any(|t| t.starts_with("02:")));
    assert!(st.contains(&"2026-03-08T01:45:00-05:00".to_owned()));
    assert!(st.contains(&"2026-03-08T03:00:00-04:00".to_owned()));
    assert_eq!(st.last().unwrap(), "2026-03-08T23:00:00-04:00");
    // 96 quarter-hours, 4 missing, and the last hour has no room for a 60-minute visit
    assert_eq!(slots.len(), 96 - 4 - 3);
    assert_each_local_time_once(&slots);
    assert_eq!(end_of(&slots, "T01:45"), "2026-03-08T03:45:00-04:00");
}

#[test]
fn new_york_fall_back_offers_both_passes_of_the_repeated_hour() {
    // Given 15-minute slots all day in New York, where 2026-11-01 02:00 goes back to 01:00
    // When the availability of that Sunday is computed for a 15-minute service
    let slots = all_day_slots("America/New_York", 15, 15, day(2026, 11, 1));
    // Then its 25 hours hold 100 starts, 01:00 to 01:45 once at -04:00 and once at -05:00
    assert_eq!(slots.len(), 100);
    assert_in_order_once(&slots);
    let st = starts(&slots);
    assert!(st.contains(&"2026-11-01T01:30:00-04:00".to_owned()));
    assert!(st.contains(&"2026-11-01T01:30:00-05:00".to_owned()));
    assert!(st.contains(&"2026-11-01T02:00:00-05:00".to_owned()));
    let repeated = local_times(&slots)
        .into_iter()
        .filter(|t| t.starts_with("01:"))
        .count();
    assert_eq!(repeated, 8);
}

#[test]
fn sellable_minutes_equal_open_minutes_across_daylight_saving_changes() {
    // Given a service as long as a slot, on ordinary, spring-forward and fall-back days
    // in Madrid and New York, with hours around, across and inside the changed hour
    let days = [
        ("Europe/Madrid", "2026-03-28"),
        ("Europe/Madrid", "2026-03-29"),
        ("Europe/Madrid", "2026-10-25"),
        ("Europe/Madrid", "2027-10-31"),
        ("America/New_York", "2026-03-08"),
        ("America/New_York", "2026-11-01"),
    ];
    let hours = [
        serde_json::json!([{"open": "00:00", "close": "24:00"}]),
        serde_json::json!([{"open": "01:00", "close": "04:00"}]),
        serde_json::json!([{"open": "00:00", "close": "02:30"},
                           {"open": "02:30", "close": "24:00"}]),
        serde_json::json!([{"open": "01:30", "close": "02:30"},
                           {"open": "03:00", "close": "05:00"}]),
        serde_json::json!([{"open": "02:00", "close": "03:00"}]),
    ];
    for (tz, date) in days {
        for h in &hours {
            for slot in [15, 30] {
                let s = every_day(tz, slot, h);
                let date: Date = date.parse().unwrap();
                // When its starts are listed and the day's open minutes are measured
                let slots = free_slots(
                    &s,
                    &service(u32::from(slot), 0, 1),
                    DateRange::new(date, date).unwrap(),
                );
                // Then every open minute lies in exactly one sellable start, each start
                // a distinct instant
                assert_in_order_once(&slots);
                let sellable = i64::try_from(slots.len()).unwrap() * i64::from(slot);
                assert_eq!(
                    sellable,
                    open_minutes_on(&s, date),
                    "{tz} {date} {h} every {slot} minutes: {:?}",
                    starts(&slots)
                );
            }
        }
    }
    // And the hour 01:00-04:00 is four real hours when the clock goes back, two when
    // it jumps forward, and 02:00-03:00 is two hours or none
    let early =
        |h: serde_json::Value| settings("Europe/Madrid", 30, serde_json::json!({ "sun": h }));
    let at = |d: &str| d.parse::<Date>().unwrap();
    let across = early(serde_json::json!([{"open": "01:00", "close": "04:00"}]));
    assert_eq!(open_minutes_on(&across, at("2027-10-31")), 240);
    assert_eq!(open_minutes_on(&across, at("2027-03-28")), 120);
    let inside = early(serde_json::json!([{"open": "02:00", "close": "03:00"}]));
    assert_eq!(open_minutes_on(&inside, at("2027-10-31")), 120);
    assert_eq!(open_minutes_on(&inside, at("2027-03-28")), 0);
}

#[test]
fn an_interval_ending_inside_a_changed_hour_ends_by_the_wall_clock() {
    // Given Madrid open on Sundays 01:00-02:30, and the hour from 02:00 that 2027-10-31
    // repeats and 2027-03-28 skips
    let s = settings(
        "Europe/Madrid",
        30,
        serde_json::json!({"sun": [{"open": "01:00", "close": "02:30"}]}),
    );
    let list =
        |date: DateRange, duration: u32| starts(&free_slots(&s, &service(duration, 0, 1), date));
    // When the clock goes back, both passes of 02:00 are open but not the first 02:30,
    // when the clock read past closing time
    assert_eq!(
        list(day(2027, 10, 31), 30),
        [
            "2027-10-31T01:00:00+02:00",
            "2027-10-31T01:30:00+02:00",
            "2027-10-31T02:00:00+02:00",
            "2027-10-31T02:00:00+01:00",
        ]
    );
    // So an hour-long visit cannot start at the first 02:00 and run across it
    assert_eq!(
        list(day(2027, 10, 31), 60),
        ["2027-10-31T01:00:00+02:00", "2027-10-31T01:30:00+02:00"]
    );
    // And when the clock jumps forward the interval closes at the jump, 03:00+02:00
    assert_eq!(
        list(day(2027, 3, 28), 30),
        ["2027-03-28T01:00:00+01:00", "2027-03-28T01:30:00+01:00"]
    );
    assert_eq!(list(day(2027, 3, 28), 60), ["2027-03-28T01:00:00+01:00"]);
}

#[test]
fn hours_breaks_and_closures_are_honoured() {
    // Given Monday 09:00-12:00 and 13:00-14:00 with a 60-minute service and a 30-minute buffer
    let s = settings(
        "Europe/Madrid",
        30,
        serde_json::json!({
            "mon": [{"open": "09:00", "close": "12:00"}, {"open": "13:00", "close": "14:30"}]
        }),
    );
    let slots = free_slots(&s, &service(60, 30, 1), day(2026, 11, 30));
    // Then a start fits only when duration + buffer end by the interval's close
    assert_eq!(
        local_times(&slots),
        ["09:00", "09:30", "10:00", "10:30", "13:00"]
    );
    // And a Tuesday (no hours) has nothing
    let none = free_slots(&s, &service(60, 30, 1), day(2026, 12, 1));
    assert!(none.is_empty());
}

#[test]
fn a_closed_date_has_no_slots() {
    let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
        "timeZone": "UTC", "slotMinutes": 60,
        "weeklyHours": {"fri": [{"open": "09:00", "close": "17:00"}]},
        "closedDates": ["2026-12-25"]
    }))
    .unwrap();
    let s = Settings::try_from(doc).unwrap();
    assert!(free_slots(&s, &service(60, 0, 1), day(2026, 12, 25)).is_empty());
    assert_eq!(
        free_slots(&s, &service(60, 0, 1), day(2026, 12, 18)).len(),
        8
    );
}

#[test]
fn min_notice_and_max_advance_bound_the_starts() {
    let s = all_day("UTC", 60);
    let mut svc = service(60, 0, 1);
    svc.min_notice_minutes = 120;
    svc.max_advance_days = 1;
    let now: Timestamp = "2026-12-01T10:30:00Z".parse().unwrap();
    let range = DateRange::new(Date::constant(2026, 12, 1), Date::constant(2026, 12, 3)).unwrap();
    let st = starts(&slots(&s, &svc, range, now, &ClaimCounts::new()));
    assert_eq!(st.first().unwrap(), "2026-12-01T13:00:00+00:00");
    assert_eq!(st.last().unwrap(), "2026-12-02T10:00:00+00:00");
}

#[test]
fn claims_reduce_the_remaining_capacity_of_every_start_they_overlap() {
    // Given capacity 2, 30-minute slots and a 60-minute service
    let s = all_day("UTC", 30);
    let svc = service(60, 0, 2);
    let at = |t: &str| -> Timestamp { format!("2026-12-01T{t}:00Z").parse().unwrap() };
    // And two claims on 10:30 and one on 11:00
    let claims: ClaimCounts = [(at("10:30"), 2), (at("11:00"), 1)].into_iter().collect();
    let slots = slots(&s, &svc, day(2026, 12, 1), long_ago(), &claims);
    let remaining = |t: &str| slots.iter().find(|x| x.start == at(t)).map(|x| x.remaining);
    // Then starts covering 10:30 are gone and those covering 11:00 have one place left
    assert_eq!(remaining("09:30"), Some(2));
    assert_eq!(remaining("10:00"), None);
    assert_eq!(remaining("10:30"), None);
    assert_eq!(remaining("11:00"), Some(1));
    assert_eq!(remaining("11:30"), Some(2));
}

#[test]
fn claim_units_are_five_minute_buckets_of_absolute_time() {
    let at = |t: &str| -> Timestamp { t.parse().unwrap() };
    // Given a 60-minute service with a 5-minute buffer
    let svc = service(60, 5, 1);
    // When it starts at 10:00 UTC, or at that instant read in Kathmandu
    let utc = units(&svc, at("2026-12-01T10:00:00Z"));
    let kathmandu = units(&svc, at("2026-12-01T15:45:00+05:45"));
    // Then it claims the 13 buckets from 10:00 to 11:00, each on the 5-minute epoch grid
    assert_eq!(utc, kathmandu);
    assert_eq!(utc.len(), 13);
    assert_eq!(utc[0], at("2026-12-01T10:00:00Z"));
    assert_eq!(utc[12], at("2026-12-01T11:00:00Z"));
    assert!(
        utc.iter()
            .all(|u| u.as_second() % 300 == 0 && *u == unit_of(*u))
    );
    // And a start between boundaries claims the bucket it starts in and the one it ends in
    let odd = units(&svc, at("2026-12-01T10:02:30Z"));
    assert_eq!(odd.len(), 14);
    assert_eq!(
        (odd[0], odd[13]),
        (at("2026-12-01T10:00:00Z"), at("2026-12-01T11:05:00Z"))
    );
    // And the longest block a service may have takes at most MAX_CLAIM_UNITS
    let longest = service(MAX_BLOCK_MINUTES - 30, 30, 1);
    assert_eq!(units(&longest, at("2026-12-01T10:00:00Z")).len(), 90);
    assert_eq!(
        units(&longest, at("2026-12-01T10:00:01Z")).len(),
        MAX_CLAIM_UNITS
    );
    assert_eq!(
        unit_of(at("1969-12-31T23:59:59.5Z")),
        at("1969-12-31T23:55:00Z")
    );
}

/// The claims of `n` bookings of `service` at `start` under `booked_on`, as a store
/// counts them.
fn claims_of(booked_on: &Settings, service: &Service, start: &str, n: u32) -> ClaimCounts {
    let (_, units) = check_start(booked_on, service, start.parse().unwrap(), long_ago()).unwrap();
    units.into_iter().map(|u| (u, n)).collect()
}

#[test]
fn a_full_start_stays_full_on_a_finer_grid() {
    // Given a 30-minute service with two places, taken twice at 10:00 on a 15-minute grid
    let svc = service(30, 0, 2);
    let claims = claims_of(&all_day("UTC", 15), &svc, "2026-12-01T10:00:00Z", 2);
    // When availability is computed on a 5-minute grid
    let slots = slots(
        &all_day("UTC", 5),
        &svc,
        day(2026, 12, 1),
        long_ago(),
        &claims,
    );
    // Then no start that overlaps 10:00-10:30 is offered, and those beside it are free
    let remaining = |t: &str| {
        let at: Timestamp = format!("2026-12-01T{t}:00Z").parse().unwrap();
        slots.iter().find(|x| x.start == at).map(|x| x.remaining)
    };
    for t in ["09:35", "09:55", "10:00", "10:05", "10:25"] {
        assert_eq!(remaining(t), None, "{t}");
    }
    assert_eq!((remaining("09:30"), remaining("10:30")), (Some(2), Some(2)));
}

#[test]
fn a_full_start_stays_full_in_a_zone_whose_offset_is_off_the_grid() {
    // Given an hour-long service with one place, taken at 10:00 in Madrid (09:00 UTC) on a
    // 30-minute grid, and a buffer of 5 minutes
    let svc = service(60, 5, 1);
    let claims = claims_of(
        &all_day("Europe/Madrid", 30),
        &svc,
        "2026-12-01T09:00:00Z",
        1,
    );
    // When the business moves to Kathmandu (+05:45), on the same grid
    let kathmandu = all_day("Asia/Kathmandu", 30);
    let slots = slots(&kathmandu, &svc, day(2026, 12, 1), long_ago(), &claims);
    // Then the starts of its grid that overlap 09:00-10:05 UTC are not offered
    let offered = |t: &str| {
        let at: Timestamp = t.parse().unwrap();
        slots.iter().any(|x| x.start == at)
    };
    for t in [
        "2026-12-01T08:15:00Z",
        "2026-12-01T08:45:00Z",
        "2026-12-01T09:15:00Z",
        "2026-12-01T09:45:00Z",
    ] {
        assert!(!offered(t), "{t} is offered");
    }
    assert!(offered("2026-12-01T07:45:00Z") && offered("2026-12-01T10:15:00Z"));
}

#[test]
fn a_range_longer_than_31_days_is_rejected() {
    assert!(DateRange::new(Date::constant(2026, 1, 1), Date::constant(2026, 1, 31)).is_ok());
    let err = DateRange::new(Date::constant(2026, 1, 1), Date::constant(2026, 2, 1)).unwrap_err();
    assert_eq!(err.field, "to");
    assert!(DateRange::new(Date::constant(2026, 1, 2), Date::constant(2026, 1, 1)).is_err());
}

#[test]
fn slots_show_as_rfc3339_with_the_local_offset() {
    let s = all_day("Europe/Madrid", 60);
    let slots = free_slots(&s, &service(60, 0, 3), day(2026, 7, 1));
    let slot = &slots[9];
    assert_eq!(
        (rfc3339(slot.start, &slot.tz), rfc3339(slot.end, &slot.tz)),
        (
            "2026-07-01T09:00:00+02:00".to_owned(),
            "2026-07-01T10:00:00+02:00".to_owned()
        )
    );
    assert_eq!(slot.remaining, 3);
}

#[test]
fn check_start_names_the_broken_rule() {
    let s = settings(
        "Europe/Madrid",
        30,
        serde_json::json!({
            "mon": [{"open": "09:00", "close": "12:00"}]
        }),
    );
    let mut svc = service(60, 30, 1);
    svc.min_notice_minutes = 60;
    svc.max_advance_days = 10;
    let now: Timestamp = "2026-11-30T07:00:00Z".parse().unwrap(); // 08:00 in Madrid
    let reason = |start: &str| match check_start(&s, &svc, start.parse().unwrap(), now) {
        Err(Error::Rule {
            field: "start",
            reason,
        }) => reason,
        other => panic!("expected a rule violation, got {other:?}"),
    };
    assert!(reason("2026-11-30T06:00:00Z").contains("past"));
    assert!(reason("2026-11-30T07:30:00Z").contains("minimum notice"));
    assert!(reason("2026-12-21T09:00:00Z").contains("days ahead"));
    assert!(reason("2026-11-30T08:10:00Z").contains("slot grid"));
    assert!(
        reason("2026-11-30T10:00:00Z").contains("opening hours"),
        "11:00 + 90 min > 12:00"
    );
    assert!(
        reason("2026-12-01T09:00:00Z").contains("opening hours"),
        "Tuesday is closed"
    );
    let (end, units) = check_start(&s, &svc, "2026-11-30T09:30:00Z".parse().unwrap(), now).unwrap();
    assert_eq!(end, "2026-11-30T10:30:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(units.len(), 18, "60 + 30 minutes in 5-minute units");
}

#[test]
fn either_pass_of_a_repeated_hour_is_a_start_and_a_skipped_hour_is_none() {
    // Given Madrid open on Sundays 02:00-03:00, the hour that 2027-10-31 repeats and
    // 2027-03-28 skips, and a 30-minute service
    let s = settings(
        "Europe/Madrid",
        30,
        serde_json::json!({"sun": [{"open": "02:00", "close": "03:00"}]}),
    );
    let svc = service(30, 0, 1);
    let check = |start: &str| check_start(&s, &svc, start.parse().unwrap(), long_ago());
    // When 02:30 is booked at either pass of the repeated hour
    let (end_first, units_first) = check("2027-10-31T02:30:00+02:00").unwrap();
    let (end_second, units_second) = check("2027-10-31T02:30:00+01:00").unwrap();
    // Then both are starts, an hour of real time apart, claiming different units
    assert_eq!(
        end_second.duration_since(end_first),
        SignedDuration::from_hours(1)
    );
    assert_ne!(units_first, units_second);
    assert!(check("2027-10-31T02:00:00+01:00").is_ok());
    // And an off-grid time in the fold is still refused
    let Err(Error::Rule { reason, .. }) = check("2027-10-31T02:40:00+01:00") else {
        panic!("02:40 is off the grid");
    };
    assert!(reason.contains("slot grid"), "{reason}");
    // And on the spring-forward day nothing is a start: 02:30+01:00 is 03:30+02:00
    for start in ["2027-03-28T02:30:00+01:00", "2027-03-28T02:00:00+01:00"] {
        let Err(Error::Rule { reason, .. }) = check(start) else {
            panic!("{start} lies outside the hours that exist");
        };
        assert!(reason.contains("opening hours"), "{reason}");
    }
}
