//! The contract suites of booking-contract over the DynamoDB adapters, every store on a
//! fresh table of the local cloud: `dynamodb::<suite>::<scenario>`, `#[ignore]`d in a plain
//! `cargo test` and run by `scripts/test cloud` (`-- --include-ignored`).
//!
//! [`fresh_table`] makes a new, empty table named `test-<ulid>` with the key schema,
//! attribute definitions and GSIs of the table `BOOKING_TEMPLATE_TABLE` (default
//! `booking-local-booking`, the one the local cloud creates from template.yaml), so
//! template.yaml stays the one definition of the schema. Tables are not deleted; they go
//! away with the moto server. The client comes from `booking_aws::env::sdk_config()` (the
//! functions' own) and the standard variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), exported by the scripts that start the
//! local cloud. It panics unless every configured endpoint is a loopback URL, so a test can
//! never touch real AWS.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

use std::{net::IpAddr, sync::Arc, time::Duration};

use aws_sdk_dynamodb::{
    Client,
    types::{BillingMode, GlobalSecondaryIndex, TableStatus},
};
use booking_aws::dynamo::{
    DynamoCatalog, DynamoLedger, DynamoReservations, DynamoSentLog, DynamoSettings, DynamoThrottle,
    DynamoUsers, Table, reservations::MAX_UNITS,
};
use booking_contract::{
    PropertyRun, Stores,
    fixtures::{reservation, unit},
    reservations::{MOST, ROOMY, now},
};
use booking_core::{
    Error,
    ids::{ServiceId, UserId},
    ports::{ClaimCounts, ClaimQuery, ClaimReader, ReservationStore},
};

booking_contract::contract! {
    #[ignore = "needs the local cloud (moto): scripts/test runs it"]
    dynamodb => fresh_stores, property_run = PropertyRun { cases: 32, ops: 4..=8 }
}

/// Every store on one fresh table, as a deployment wires them.
async fn fresh_stores() -> Stores {
    let table = fresh_table().await;
    Stores {
        reservations: Arc::new(DynamoReservations::new(table.clone())),
        catalog: Arc::new(DynamoCatalog::new(table.clone())),
        settings: Arc::new(DynamoSettings::new(table.clone())),
        users: Arc::new(DynamoUsers::new(table.clone())),
        ledger: Arc::new(DynamoLedger::new(table.clone())),
        sent_log: Arc::new(DynamoSentLog::new(table.clone())),
        throttle: Arc::new(DynamoThrottle::new(table)),
    }
}

/// Not part of the contract: the in-memory store has no such limit, and no service of the
/// catalog claims that many.
#[tokio::test]
#[ignore = "needs the local cloud (moto): scripts/test runs it"]
async fn dynamodb_refuses_a_reservation_of_more_units_than_the_longest_service_claims() {
    // Given a reservation of one unit more
    let store = DynamoReservations::new(fresh_table().await);
    let too_many = reservation(UserId::new(), ServiceId::new(), 0, MOST + 1, now());

    // When it is held
    let outcome = store.hold(&too_many, 1, ROOMY).await;

    // Then that is refused as a storage limit, and nothing is stored or claimed
    match outcome {
        Err(Error::Store(e)) => {
            assert!(
                e.to_string().contains(&format!("at most {MAX_UNITS}")),
                "{e}"
            )
        }
        other => panic!("expected a storage error, got {other:?}"),
    }
    assert_eq!(store.get(too_many.id).await.unwrap(), None);
    let query = ClaimQuery {
        service: too_many.service_id,
        units: unit(0)..unit(200),
    };
    assert_eq!(
        store.claims(&query, now()).await.unwrap(),
        ClaimCounts::new()
    );
}

/// The table whose schema test tables copy, unless `BOOKING_TEMPLATE_TABLE` names another.
pub const DEFAULT_TEMPLATE_TABLE: &str = "booking-local-booking";

/// A new, empty table with the template table's keys and indexes, in the local cloud.
pub async fn fresh_table() -> Table {
    let client = local_client().await;
    let template = std::env::var("BOOKING_TEMPLATE_TABLE")
        .unwrap_or_else(|_| DEFAULT_TEMPLATE_TABLE.to_owned());
    let described = client
        .describe_table()
        .table_name(&template)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot describe the template table {template:?} (is the local cloud up, and \
                 did it create the table from template.yaml?): {e:?}"
            )
        });
    let desc = described
        .table
        .unwrap_or_else(|| panic!("DescribeTable {template:?} returned no table"));

    let name = format!("test-{}", ulid::Ulid::generate());
    let indexes = desc
        .global_secondary_indexes()
        .iter()
        .map(|gsi| {
            GlobalSecondaryIndex::builder()
                .set_index_name(gsi.index_name().map(str::to_owned))
                .set_key_schema(Some(gsi.key_schema().to_vec()))
                .set_projection(gsi.projection().cloned())
                .build()
                .unwrap_or_else(|e| panic!("cannot copy index {:?}: {e}", gsi.index_name()))
        })
        .collect::<Vec<_>>();
    client
        .create_table()
        .table_name(&name)
        .set_key_schema(Some(desc.key_schema().to_vec()))
        .set_attribute_definitions(Some(desc.attribute_definitions().to_vec()))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        // On demand, as the template declares: no capacity to copy.
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the test table {name}: {e:?}"));
    wait_until_active(&client, &name).await;
    Table::new(client, name)
}

/// A DynamoDB client from the standard configuration, after checking that it can only
/// reach the local cloud.
async fn local_client() -> Client {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        panic!(
            "AWS_ENDPOINT_URL is not set: the DynamoDB contract tests run against the local \
             cloud only (scripts/test starts it and exports the variables)"
        );
    };
    require_loopback("AWS_ENDPOINT_URL", &endpoint);
    if let Ok(dynamodb) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        require_loopback("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb);
    }
    if std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        panic!(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true: the SDK would ignore the local \
             endpoint and reach real AWS"
        );
    }
    let config = booking_aws::env::sdk_config().await;
    Client::new(&config)
}

fn require_loopback(var: &str, url: &str) {
    if !is_loopback_url(url) {
        panic!(
            "{var}={url:?} is not a loopback URL (http://127.0.0.1:PORT, http://localhost:PORT \
             or http://[::1]:PORT): refusing to run tests that create tables anywhere but the \
             local cloud"
        );
    }
}

fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

async fn wait_until_active(client: &Client, name: &str) {
    for _ in 0..120 {
        let status = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .ok()
            .and_then(|d| d.table)
            .and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the test table {name} did not become ACTIVE within 30 s");
}

#[test]
fn only_loopback_endpoints_are_accepted() {
    for ok in [
        "http://127.0.0.1:5201",
        "http://localhost:4566/",
        "http://[::1]:8000",
        "https://127.0.0.2",
    ] {
        assert!(is_loopback_url(ok), "{ok} was refused");
    }
    for bad in [
        "https://dynamodb.us-east-1.amazonaws.com",
        "http://127.0.0.1.example.com:5201",
        "http://user@evil.example:80",
        "http://localhost.example.com",
        "127.0.0.1:5201",
        "",
    ] {
        assert!(!is_loopback_url(bad), "{bad} was accepted");
    }
}
