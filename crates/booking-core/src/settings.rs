//! Business settings: the time zone every business rule is evaluated in, the slot grid,
//! weekly opening hours (breaks are the gaps between intervals) and closed dates.

use std::collections::BTreeSet;

use jiff::{civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{Error, FieldError, error::Problems, time::Zone};

/// Slot sizes that divide an hour, so the grid survives whole-hour DST shifts.
pub const SLOT_SIZES: [u16; 6] = [5, 10, 15, 20, 30, 60];
const MAX_INTERVALS_PER_DAY: usize = 8;
const MAX_CLOSED_DATES: usize = 1000;
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes since local midnight, 0..=1440 ("24:00" closes at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime(u16);

impl LocalTime {
    pub fn minutes(self) -> u16 {
        self.0
    }

    fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "must be a 24-hour time HH:MM");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(LocalTime(h * 60 + m))
    }
}

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening interval of a day, `open` < `close`, both on the slot grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenInterval {
    pub open: LocalTime,
    pub close: LocalTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SettingsDoc", into = "SettingsDoc")]
pub struct Settings {
    zone: Zone,
    slot_minutes: u16,
    /// Monday first, as jiff numbers weekdays from Monday.
    weekly_hours: [Vec<OpenInterval>; 7],
    closed_dates: BTreeSet<Date>,
}

impl Settings {
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub fn time_zone(&self) -> &TimeZone {
        self.zone.time_zone()
    }

    pub fn time_zone_name(&self) -> &str {
        self.zone.name()
    }

    pub fn slot_minutes(&self) -> u16 {
        self.slot_minutes
    }

    /// Opening intervals of a local date, in order; none on a closed date.
    pub fn hours_on(&self, date: Date) -> &[OpenInterval] {
        if self.closed_dates.contains(&date) {
            return &[];
        }
        &self.weekly_hours[usize::from(date.weekday().to_monday_zero_offset().unsigned_abs())]
    }
}

impl Default for Settings {
    /// UTC, 15-minute slots and no opening hours: nothing is bookable until an admin says so.
    fn default() -> Self {
        Settings {
            zone: Zone::utc(),
            slot_minutes: 15,
            weekly_hours: Default::default(),
            closed_dates: BTreeSet::new(),
        }
    }
}

/// The JSON shape of settings, as `GET`/`PUT /api/settings` exchange it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsDoc {
    pub time_zone: String,
    pub slot_minutes: u16,
    pub weekly_hours: WeeklyHoursDoc,
    #[serde(default)]
    pub closed_dates: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursDoc {
    #[serde(default)]
    pub mon: Vec<IntervalDoc>,
    #[serde(default)]
    pub tue: Vec<IntervalDoc>,
    #[serde(default)]
    pub wed: Vec<IntervalDoc>,
    #[serde(default)]
    pub thu: Vec<IntervalDoc>,
    #[serde(default)]
    pub fri: Vec<IntervalDoc>,
    #[serde(default)]
    pub sat: Vec<IntervalDoc>,
    #[serde(default)]
    pub sun: Vec<IntervalDoc>,
}

impl WeeklyHoursDoc {
    fn days(&self) -> [&Vec<IntervalDoc>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalDoc {
    pub open: String,
    pub close: String,
}

impl TryFrom<SettingsDoc> for Settings {
    type Error = Error;

    fn try_from(doc: SettingsDoc) -> Result<Self, Error> {
        let mut p = Problems::default();
        let zone = p.check(Zone::parse("timeZone", &doc.time_zone));
        let slot = doc.slot_minutes;
        if !SLOT_SIZES.contains(&slot) {
            p.push(FieldError::new(
                "slotMinutes",
                "must be one of 5, 10, 15, 20, 30, 60",
            ));
        }
        let mut weekly_hours: [Vec<OpenInterval>; 7] = Default::default();
        for (i, (name, day)) in DAYS.iter().zip(doc.weekly_hours.days()).enumerate() {
            if day.len() > MAX_INTERVALS_PER_DAY {
                p.push(FieldError::new(
                    format!("weeklyHours.{name}"),
                    "has more than 8 intervals",
                ));
                continue;
            }
            let mut parsed = Vec::new();
            for (j, iv) in day.iter().enumerate() {
                let field = |part: &str| format!("weeklyHours.{name}[{j}].{part}");
                let open = p.check(LocalTime::parse(&field("open"), &iv.open));
                let close = p.check(LocalTime::parse(&field("close"), &iv.close));
                let (Some(open), Some(close)) = (open, close) else {
                    continue;
                };
                if open >= close {
                    p.push(FieldError::new(field("close"), "must be later than open"));
                    continue;
                }
                if SLOT_SIZES.contains(&slot) && (open.0 % slot != 0 || close.0 % slot != 0) {
                    p.push(FieldError::new(
                        field("open"),
                        format!("open and close must be on the {slot}-minute slot grid"),
                    ));
                    continue;
                }
                parsed.push(OpenInterval { open, close });
            }
            parsed.sort_by_key(|iv| iv.open);
            if parsed.windows(2).any(|w| w[0].close > w[1].open) {
                p.push(FieldError::new(
                    format!("weeklyHours.{name}"),
                    "intervals overlap",
                ));
            }
            weekly_hours[i] = parsed;
        }
        if doc.closed_dates.len() > MAX_CLOSED_DATES {
            p.push(FieldError::new("closedDates", "has more than 1000 dates"));
        }
        let mut closed_dates = BTreeSet::new();
        for (i, d) in doc.closed_dates.iter().enumerate() {
            if let Some(date) = p.check(parse_date(&format!("closedDates[{i}]"), d)) {
                closed_dates.insert(date);
            }
        }
        p.into_result()?;
        Ok(Settings {
            zone: zone.unwrap_or_else(Zone::utc),
            slot_minutes: slot,
            weekly_hours,
            closed_dates,
        })
    }
}

impl From<Settings> for SettingsDoc {
    fn from(s: Settings) -> Self {
        let day = |i: usize| {
            s.weekly_hours[i]
                .iter()
                .map(|iv| IntervalDoc {
                    open: iv.open.to_string(),
                    close: iv.close.to_string(),
                })
                .collect::<Vec<_>>()
        };
        SettingsDoc {
            time_zone: s.zone.name().to_owned(),
            slot_minutes: s.slot_minutes,
            weekly_hours: WeeklyHoursDoc {
                mon: day(0),
                tue: day(1),
                wed: day(2),
                thu: day(3),
                fri: day(4),
                sat: day(5),
                sun: day(6),
            },
            closed_dates: s.closed_dates.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Parses a calendar date written `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<Date, FieldError> {
    let bad = || FieldError::new(field, "must be a date YYYY-MM-DD");
    if s.len() != 10 {
        return Err(bad());
    }
    s.parse::<Date>().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::invalid_fields as fields;

    fn doc(json: serde_json::Value) -> SettingsDoc {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn valid_settings_round_trip_through_json() {
        let d = doc(serde_json::json!({
            "timeZone": "Europe/Madrid", "slotMinutes": 15,
            "weeklyHours": {"mon": [{"open": "14:00", "close": "18:00"}, {"open": "09:00", "close": "13:00"}]},
            "closedDates": ["2026-12-25"]
        }));
        let s = Settings::try_from(d).unwrap();
        assert_eq!(
            s.hours_on(Date::constant(2026, 11, 30)).len(),
            2,
            "a Monday"
        );
        assert_eq!(
            s.hours_on(Date::constant(2026, 11, 30))[0].open.to_string(),
            "09:00"
        );
        assert!(
            s.hours_on(Date::constant(2026, 12, 1)).is_empty(),
            "a Tuesday"
        );
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["weeklyHours"]["mon"][1]["close"], "18:00");
        assert_eq!(serde_json::from_value::<Settings>(back).unwrap(), s);
    }

    #[test]
    fn every_bad_field_is_named() {
        let d = doc(serde_json::json!({
            "timeZone": "Mars/Olympus", "slotMinutes": 7,
            "weeklyHours": {"tue": [{"open": "9:00", "close": "10:00"}, {"open": "12:00", "close": "11:00"}]},
            "closedDates": ["2026-02-30"]
        }));
        let f = fields(Settings::try_from(d).unwrap_err());
        assert_eq!(
            f,
            [
                "timeZone",
                "slotMinutes",
                "weeklyHours.tue[0].open",
                "weeklyHours.tue[1].close",
                "closedDates[0]"
            ]
        );
    }

    #[test]
    fn overlapping_or_off_grid_intervals_are_rejected() {
        let d = doc(serde_json::json!({
            "timeZone": "UTC", "slotMinutes": 30,
            "weeklyHours": {"wed": [{"open": "09:00", "close": "12:00"}, {"open": "11:00", "close": "13:00"}],
                            "thu": [{"open": "09:15", "close": "12:00"}]}
        }));
        assert_eq!(
            fields(Settings::try_from(d).unwrap_err()),
            ["weeklyHours.wed", "weeklyHours.thu[0].open"]
        );
    }

    #[test]
    fn a_day_may_close_at_midnight() {
        let d = doc(serde_json::json!({
            "timeZone": "UTC", "slotMinutes": 60,
            "weeklyHours": {"fri": [{"open": "20:00", "close": "24:00"}]}
        }));
        assert!(Settings::try_from(d).is_ok());
    }
}
