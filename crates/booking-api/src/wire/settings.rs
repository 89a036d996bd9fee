//! The business settings as `GET` and `PUT /api/settings` exchange them.

use booking_core::settings::{self, IntervalDoc, SettingsDoc, WeeklyHoursDoc};
use serde::{Deserialize, Serialize};
use utoipa::{
    ToSchema,
    openapi::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type},
};

use super::formats::SlotMinutes;

/// One opening interval of a day: `open` before `close`, both on the slot grid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"open": "09:00", "close": "13:00"})))]
pub struct Interval {
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    open: String,
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    close: String,
}

/// Opening intervals per weekday (at most 8 a day, not overlapping; breaks are the gaps).
/// A day left out is closed; responses always list all seven.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklyHours {
    #[schema(max_items = 8)]
    mon: Vec<Interval>,
    #[schema(max_items = 8)]
    tue: Vec<Interval>,
    #[schema(max_items = 8)]
    wed: Vec<Interval>,
    #[schema(max_items = 8)]
    thu: Vec<Interval>,
    #[schema(max_items = 8)]
    fri: Vec<Interval>,
    #[schema(max_items = 8)]
    sat: Vec<Interval>,
    #[schema(max_items = 8)]
    sun: Vec<Interval>,
}

/// The business settings, as `GET /api/settings` answers and `PUT /api/settings` replaces
/// them whole: the time zone every rule is evaluated in, the slot grid, the weekly opening
/// hours and the closed dates.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "timeZone": "Europe/Madrid", "slotMinutes": 15,
    "weeklyHours": {
        "mon": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
        "tue": [], "wed": [], "thu": [], "fri": [],
        "sat": [{"open": "10:00", "close": "14:00"}], "sun": []
    },
    "closedDates": ["2026-12-25"]
})))]
pub struct Settings {
    /// An IANA time zone name such as `Europe/Madrid`.
    #[schema(examples("Europe/Madrid"))]
    time_zone: String,
    /// One of 5, 10, 15, 20, 30, 60; every service's duration must be a multiple of it.
    #[schema(value_type = SlotMinutes)]
    slot_minutes: u16,
    weekly_hours: WeeklyHours,
    /// Dates `YYYY-MM-DD` the business is closed, at most 1000; always present in responses.
    #[serde(default)]
    #[schema(schema_with = closed_dates)]
    closed_dates: Vec<String>,
}

fn closed_dates() -> utoipa::openapi::Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .max_items(Some(1000))
        .description(Some(
            "Dates `YYYY-MM-DD` the business is closed, at most 1000; always present in responses.",
        ))
        .build()
}

/// A week of one interval type as a week of another, day by day.
macro_rules! map_week {
    ($week:expr => $Week:ident, $f:expr) => {{
        let (w, f) = ($week, $f);
        $Week {
            mon: w.mon.into_iter().map(f).collect(),
            tue: w.tue.into_iter().map(f).collect(),
            wed: w.wed.into_iter().map(f).collect(),
            thu: w.thu.into_iter().map(f).collect(),
            fri: w.fri.into_iter().map(f).collect(),
            sat: w.sat.into_iter().map(f).collect(),
            sun: w.sun.into_iter().map(f).collect(),
        }
    }};
}

impl From<Settings> for SettingsDoc {
    fn from(s: Settings) -> Self {
        SettingsDoc {
            time_zone: s.time_zone,
            slot_minutes: s.slot_minutes,
            weekly_hours: map_week!(s.weekly_hours => WeeklyHoursDoc, |iv: Interval| IntervalDoc {
                open: iv.open,
                close: iv.close,
            }),
            closed_dates: s.closed_dates,
        }
    }
}

impl From<settings::Settings> for Settings {
    fn from(s: settings::Settings) -> Self {
        let doc = SettingsDoc::from(s);
        Settings {
            time_zone: doc.time_zone,
            slot_minutes: doc.slot_minutes,
            weekly_hours: map_week!(doc.weekly_hours => WeeklyHours, |iv: IntervalDoc| Interval {
                open: iv.open,
                close: iv.close,
            }),
            closed_dates: doc.closed_dates,
        }
    }
}
