//! The contract of [`SettingsStore`]: a fresh store has no settings, and a put replaces
//! them whole.

use booking_core::{
    ports::SettingsStore,
    settings::{IntervalDoc, Settings, SettingsDoc, WeeklyHoursDoc},
};

fn interval(open: &str, close: &str) -> IntervalDoc {
    IntervalDoc {
        open: open.into(),
        close: close.into(),
    }
}

fn madrid() -> Settings {
    Settings::try_from(SettingsDoc {
        time_zone: "Europe/Madrid".into(),
        slot_minutes: 30,
        weekly_hours: WeeklyHoursDoc {
            mon: vec![interval("09:00", "13:00"), interval("14:00", "18:00")],
            sat: vec![interval("10:00", "14:00")],
            ..WeeklyHoursDoc::default()
        },
        closed_dates: vec!["2026-12-25".into(), "2027-01-01".into()],
    })
    .unwrap()
}

pub async fn a_fresh_store_has_no_settings(store: &dyn SettingsStore) {
    assert_eq!(store.get().await.unwrap(), None);
}

pub async fn stored_settings_are_read_back_and_a_second_put_replaces_them(
    store: &dyn SettingsStore,
) {
    // Given the defaults stored
    store.put(&Settings::default()).await.unwrap();
    assert_eq!(store.get().await.unwrap(), Some(Settings::default()));

    // When an admin stores real opening hours
    store.put(&madrid()).await.unwrap();

    // Then they replace the defaults entirely
    assert_eq!(store.get().await.unwrap(), Some(madrid()));
}
