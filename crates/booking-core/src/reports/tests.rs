//! Tests of [`super`].

use super::*;
use crate::settings::SettingsDoc;

fn madrid() -> Settings {
    let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
        "timeZone": "Europe/Madrid", "slotMinutes": 15,
        "weeklyHours": {"mon": [{"open": "09:00", "close": "13:00"}]},
    }))
    .unwrap();
    Settings::try_from(doc).unwrap()
}

#[test]
fn a_period_spans_local_midnights_and_both_dates() {
    // Given Madrid, where 2026-10-25 has 25 hours
    let p = Period::parse(&madrid(), "2026-10-25", "2026-10-25").unwrap();
    // Then the period runs from local midnight to the next, 25 hours later
    assert_eq!(p.start, "2026-10-24T22:00:00Z".parse().unwrap());
    assert_eq!(p.end, "2026-10-25T23:00:00Z".parse().unwrap());
    assert_eq!(p.dates().count(), 1);
    let year = Period::parse(&madrid(), "2026-01-01", "2026-12-31").unwrap();
    assert_eq!(year.dates().count(), 365);
}

#[test]
fn bad_periods_name_the_field() {
    let s = madrid();
    let fields = |r: Result<Period, Error>| crate::error::invalid_fields(r.unwrap_err());
    assert_eq!(fields(Period::parse(&s, "2026-13-01", "x")), ["from", "to"]);
    assert_eq!(
        fields(Period::parse(&s, "2026-12-02", "2026-12-01")),
        ["to"]
    );
    assert_eq!(
        fields(Period::parse(&s, "2026-01-01", "2027-01-02")),
        ["to"]
    );
    assert!(Period::parse(&s, "2028-01-01", "2028-12-31").is_ok());
}

#[test]
fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
    let mut out = String::new();
    push_row(
        &mut out,
        ["plain", "a,b", "say \"hi\"", "two\nlines", ""].map(str::to_owned),
    );
    assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
    assert_eq!(text("-1"), "'-1");
    assert_eq!(text("Ada"), "Ada");
}
