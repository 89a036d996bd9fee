//! The contract of [`SettingsStore`], run against the in-memory and the DynamoDB adapters
//! with identical expectations. The store is fresh: it starts without settings.
#![allow(clippy::unwrap_used)]

mod common;

use booking_aws::dynamo::DynamoSettings;
use booking_core::{
    memory::MemorySettings,
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

async fn a_fresh_store_has_no_settings(store: &dyn SettingsStore) {
    assert_eq!(store.get().await.unwrap(), None);
}

async fn stored_settings_are_read_back_and_a_second_put_replaces_them(store: &dyn SettingsStore) {
    // Given the defaults stored
    store.put(&Settings::default()).await.unwrap();
    assert_eq!(store.get().await.unwrap(), Some(Settings::default()));

    // When an admin stores real opening hours
    store.put(&madrid()).await.unwrap();

    // Then they replace the defaults entirely
    assert_eq!(store.get().await.unwrap(), Some(madrid()));
}

async fn suite(store: &dyn SettingsStore) {
    a_fresh_store_has_no_settings(store).await;
    stored_settings_are_read_back_and_a_second_put_replaces_them(store).await;
}

#[tokio::test]
async fn memory() {
    suite(&MemorySettings::default()).await;
}

#[tokio::test]
#[ignore = "needs the local cloud (moto): scripts/test runs it"]
async fn dynamodb() {
    suite(&DynamoSettings::new(common::fresh_table().await)).await;
}
