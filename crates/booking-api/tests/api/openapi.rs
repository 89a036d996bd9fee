//! The OpenAPI description: `openapi.json` at the repository root is what the code
//! generates, every route the routers serve is described and every described operation is
//! served, and the description keeps its own rules (401 on every bearer operation, problem
//! bodies on every error, no unknown fields in request bodies). Each wire type's schema is
//! checked against what its serde code accepts and sends; scripts/schemathesis checks the
//! whole description against a running booking-local.
//!
//! `UPDATE_OPENAPI=1 cargo test -p booking-api --test api openapi` rewrites `openapi.json`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use crate::common::World;
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use booking_api::{
    openapi::{BEARER_AUTH, openapi_json, openapi_router},
    wire,
};
use booking_core::{
    availability::Slot,
    catalog::{CancellationPolicy, Service},
    ids::{ServiceId, UserId},
    money::Currency,
    payment::{PaymentMethod, PaymentStatus, Prepayment},
    reservation::{Actor, Failure, Status, StatusChange},
    settings::Settings,
    user::Role,
};
use jiff::{Timestamp, tz::TimeZone};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const STALE: &str =
    "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p booking-api --test api openapi`";

fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

fn description() -> Value {
    serde_json::from_str(&openapi_json()).unwrap()
}

#[test]
fn the_committed_description_is_current() {
    let generated = openapi_json();
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{STALE}\n(first difference at line {}: committed {:?}, generated {:?})",
            first_difference + 1,
            committed.lines().nth(first_difference).unwrap_or("<end>"),
            generated.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

#[test]
fn it_is_openapi_3_1_with_this_crates_version() {
    let doc = description();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "booking API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let scheme = &doc["components"]["securitySchemes"][BEARER_AUTH];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    assert!(openapi_json().ends_with("}\n"));
    assert_eq!(openapi_json(), openapi_json(), "the output is stable");
}

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// (METHOD, path template) of every operation in the description.
fn described(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

fn operations(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(m, op)| (format!("{} {path}", m.to_uppercase()), op))
        })
}

/// Whether the app serves METHOD on the path (with `{...}` filled in): anything but the
/// router's own "route not found" 404 and "method not allowed" 405. Sends no token and no
/// body, so no handler gets past its extractors.
async fn served(world: &World, method: &str, template: &str) -> bool {
    let uri = template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "01ARZ3NDEKTSV4RRFFQ69G5FAV"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let router = world.app().merge(openapi_router());
    let req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let r = world.send_to(router, req).await;
    let router_404 = r.status == StatusCode::NOT_FOUND && r.body["detail"] == "route not found";
    !(router_404 || r.status == StatusCode::METHOD_NOT_ALLOWED)
}

/// Routes are registered from their handlers' descriptions (`routes!`), so a served route is
/// a described one by construction; this checks the other way: every described operation
/// is in the routers the app merges.
#[tokio::test]
async fn every_described_operation_is_served() {
    let doc = description();
    let world = World::new();
    assert!(
        !served(&world, "DELETE", "/api/health").await,
        "405 is told apart"
    );
    assert!(
        !served(&world, "GET", "/api/nowhere").await,
        "404 is told apart"
    );
    let mut unserved = Vec::new();
    for (method, path) in described(&doc) {
        if !served(&world, &method, &path).await {
            unserved.push((method, path));
        }
    }
    assert!(
        unserved.is_empty(),
        "described but not served: {unserved:?}"
    );
}

/// A path id that is not even UTF-8 gets the documented 400 problem, not axum's plain text.
#[tokio::test]
async fn a_malformed_path_id_is_a_problem_400() {
    let world = World::new();
    let admin = world.admin().await;
    let mut tested = 0;
    for (method, template) in described(&description()) {
        if !template.contains("{id}") {
            continue;
        }
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(template.replace("{id}", "%FF"))
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap();
        let r = world.send_to(world.app(), req).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {template}: {}",
            r.body
        );
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{method} {template}"
        );
        assert_eq!(r.body["errors"][0]["field"], "id", "{method} {template}");
        tested += 1;
    }
    assert!(tested >= 6, "{tested}");
}

#[test]
fn every_bearer_operation_lists_401_and_every_error_is_a_problem() {
    let doc = description();
    let resolve = |r: &Value| -> Value {
        match r["$ref"].as_str() {
            Some(name) => {
                let name = name.trim_start_matches("#/components/responses/");
                doc["components"]["responses"][name].clone()
            }
            None => r.clone(),
        }
    };
    let mut ids = BTreeSet::new();
    for (op_name, op) in operations(&doc) {
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_owned()),
            "{op_name}: duplicate operationId"
        );
        assert_eq!(
            op["tags"].as_array().map(Vec::len),
            Some(1),
            "{op_name}: one tag"
        );
        let responses = op["responses"].as_object().unwrap();
        let security = op["security"].as_array().cloned().unwrap_or_default();
        let bearer = security.iter().any(|s| s.get(BEARER_AUTH).is_some());
        let bearer_required = bearer && !security.iter().any(|s| s == &json!({}));
        if bearer {
            assert!(
                responses.contains_key("401"),
                "{op_name}: bearer but no 401"
            );
        }
        if responses.contains_key("403") {
            assert!(bearer, "{op_name}: 403 without a bearer requirement");
        }
        if bearer_required {
            let r401 = resolve(&responses["401"]);
            assert!(
                r401["headers"]["WWW-Authenticate"]["required"] == true,
                "{op_name}: 401 without WWW-Authenticate"
            );
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{op_name}: a JSON body but no {status}"
                );
            }
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let name = schema["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/");
            assert_eq!(
                doc["components"]["schemas"][name]["additionalProperties"], false,
                "{op_name}: the body refuses unknown fields (deny_unknown_fields)"
            );
        }
        for (status, response) in responses {
            let response = resolve(response);
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{op_name} {status}"
                );
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{op_name} {status}"
                );
            }
            if status == "429" && op_name.ends_with("/api/auth/login") || status == "503" {
                assert!(
                    response["headers"]["Retry-After"]["required"] == true,
                    "{op_name} {status}: Retry-After"
                );
            }
        }
    }
}

#[test]
fn every_reference_resolves() {
    let doc = description();
    fn walk(v: &Value, refs: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    refs.insert(r.clone());
                }
                m.values().for_each(|v| walk(v, refs));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let mut refs = BTreeSet::new();
    walk(&doc, &mut refs);
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

// --- the wire types (src/wire): each schema against its serde code --------------------

fn schema(doc: &Value, name: &str) -> Value {
    let s = doc["components"]["schemas"][name].clone();
    assert!(s.is_object(), "no schema {name}");
    s
}

fn properties(schema: &Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// A request body's schema against its type: `full` (a value for every property) is
/// accepted, its keys are the schema's properties, an unknown field is refused, and a
/// property may be left out exactly when the schema does not require it.
fn check_request<T: DeserializeOwned>(doc: &Value, name: &str, full: Value) {
    let s = schema(doc, name);
    let keys: BTreeSet<String> = full.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        properties(&s),
        "{name}: the test's value covers every property"
    );
    assert_eq!(s["additionalProperties"], false, "{name}");
    serde_json::from_value::<T>(full.clone())
        .unwrap_or_else(|e| panic!("{name}: the type refuses {full}: {e}"));
    let mut extra = full.clone();
    extra["notAField"] = json!(1);
    assert!(
        serde_json::from_value::<T>(extra).is_err(),
        "{name}: unknown fields"
    );
    let req = required(&s);
    for key in keys {
        let mut without = full.clone();
        without.as_object_mut().unwrap().remove(&key);
        let accepted = serde_json::from_value::<T>(without).is_ok();
        assert_eq!(
            accepted,
            !req.contains(&key),
            "{name}.{key}: the schema says required = {}",
            req.contains(&key)
        );
    }
}

/// A response schema against a value its type serialises: the same keys, and every
/// required one present.
fn check_response(doc: &Value, name: &str, value: impl serde::Serialize) {
    let s = schema(doc, name);
    let v = serde_json::to_value(value).unwrap();
    let keys: BTreeSet<String> = v.as_object().unwrap().keys().cloned().collect();
    assert!(
        required(&s).is_subset(&keys),
        "{name}: required {:?}, serialised {keys:?}",
        required(&s)
    );
    assert!(
        keys.is_subset(&properties(&s)),
        "{name}: serialised {keys:?}, described {:?}",
        properties(&s)
    );
}

#[test]
fn the_request_schemas_match_what_the_bodies_accept() {
    let doc = description();
    check_request::<wire::accounts::Registration>(
        &doc,
        "Registration",
        json!({"email": "ana@example.com", "password": "a long passphrase", "name": "Ana"}),
    );
    check_request::<wire::accounts::Credentials>(
        &doc,
        "Credentials",
        json!({"email": "ana@example.com", "password": "a long passphrase"}),
    );
    let policy = json!({"fullRefundHoursBefore": 24, "lateRefundPercent": 50});
    check_request::<wire::catalog::CancellationPolicy>(&doc, "CancellationPolicy", policy.clone());
    let service = json!({
        "name": "Massage", "description": "Relaxing.", "durationMinutes": 60,
        "bufferMinutes": 15, "priceMinor": 4500, "currency": "EUR", "capacity": 1,
        "minNoticeMinutes": 120, "maxAdvanceDays": 60, "cancellation": policy, "prepayment": "none",
        "active": true
    });
    check_request::<wire::catalog::NewService>(&doc, "NewService", service.clone());
    check_request::<wire::catalog::ServicePatch>(&doc, "ServicePatch", service);
    let day = json!([{"open": "09:00", "close": "13:00"}]);
    let week =
        json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": []});
    check_request::<wire::settings::Settings>(
        &doc,
        "Settings",
        json!({"timeZone": "UTC", "slotMinutes": 15, "weeklyHours": week, "closedDates": []}),
    );
    check_request::<wire::settings::WeeklyHours>(&doc, "WeeklyHours", week);
    check_request::<wire::settings::Interval>(
        &doc,
        "Interval",
        json!({"open": "09:00", "close": "13:00"}),
    );
    for (name, values) in [
        ("Role", json!(["customer", "staff", "admin"])),
        ("Status", json!(Status::ALL.map(Status::as_str).to_vec())),
        (
            "PaymentStatus",
            json!(PaymentStatus::ALL.map(PaymentStatus::as_str).to_vec()),
        ),
        ("Gateway", json!(["stripe", "simulated"])),
        ("SlotMinutes", json!(booking_core::settings::SLOT_SIZES)),
    ] {
        assert_eq!(schema(&doc, name)["enum"], values, "{name}");
    }
    let letters = || b'A'..=b'Z';
    let accepted: Vec<String> = letters()
        .flat_map(|a| letters().flat_map(move |b| letters().map(move |c| [a, b, c])))
        .map(|code| String::from_utf8(code.to_vec()).unwrap())
        .filter(|code| Currency::parse("currency", code).is_ok())
        .collect();
    assert_eq!(
        schema(&doc, "Currency")["enum"],
        json!(accepted),
        "Currency"
    );
    for role in ["customer", "staff", "admin"] {
        assert!(Role::parse("role", role).is_ok());
    }
    // The payment method's pattern says what core accepts: pm_ and 1 to 97 of [A-Za-z0-9_]
    assert_eq!(
        schema(&doc, "PaymentMethod")["pattern"],
        "^pm_[A-Za-z0-9_]{1,97}$"
    );
    let longest = format!("pm_{}", "a".repeat(97));
    for pm in PaymentMethod::TEST_TOKENS
        .into_iter()
        .chain(["pm_1Px_Yz9", &longest])
    {
        assert!(PaymentMethod::parse("m", pm).is_ok(), "{pm}");
    }
    for pm in ["pm_", "pm-1", "card_visa", &format!("{longest}a")] {
        assert!(PaymentMethod::parse("m", pm).is_err(), "{pm}");
    }
}

#[test]
fn the_response_schemas_match_what_the_views_send() {
    let doc = description();
    let now = Timestamp::UNIX_EPOCH;
    check_response(
        &doc,
        "Service",
        wire::catalog::Service::from(Service {
            id: ServiceId::new(),
            name: "Cut".into(),
            description: String::new(),
            duration_minutes: 30,
            buffer_minutes: 0,
            price_minor: 2500,
            currency: Currency::parse("currency", "EUR").unwrap(),
            capacity: 1,
            min_notice_minutes: 0,
            max_advance_days: 90,
            cancellation: CancellationPolicy::default(),
            prepayment: Prepayment::None,
            active: true,
            created_at: now,
            updated_at: now,
        }),
    );
    check_response(
        &doc,
        "CancellationPolicy",
        wire::catalog::CancellationPolicy::default(),
    );
    let settings = wire::settings::Settings::from(Settings::default());
    check_response(&doc, "Settings", &settings);
    check_response(
        &doc,
        "WeeklyHours",
        serde_json::to_value(&settings).unwrap()["weeklyHours"].clone(),
    );
    check_response(
        &doc,
        "Slot",
        wire::catalog::Slot::from(Slot {
            start: now,
            end: now,
            remaining: 1,
            tz: TimeZone::UTC,
        }),
    );
    let user = Actor::User {
        id: UserId::new(),
        role: Role::Staff,
    };
    for actor in [Actor::System, user] {
        check_response(
            &doc,
            "StatusChange",
            wire::reservation::StatusChange::from(&StatusChange {
                at: now,
                from: None,
                to: Status::PendingPayment,
                actor,
                reason: "held".into(),
            }),
        );
        let v = serde_json::to_value(wire::reservation::Actor::from(actor)).unwrap();
        let variant = schema(&doc, "Actor")["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["properties"]["type"]["enum"][0] == v["type"])
            .cloned()
            .unwrap_or_else(|| panic!("no Actor variant for {v}"));
        let keys: BTreeSet<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, properties(&variant), "Actor {v}");
        assert_eq!(keys, required(&variant), "Actor {v}");
    }
    check_response(
        &doc,
        "Failure",
        wire::reservation::Failure::from(&Failure {
            code: booking_core::booking::FailureCode::parse("PaymentDeclined"),
            message: "declined".into(),
        }),
    );
    check_response(
        &doc,
        "FieldError",
        booking_api::problem::FieldError::from(booking_core::FieldError::new("field", "reason")),
    );
}

#[test]
fn the_problem_schema_matches_what_problem_serialises() {
    use booking_api::Problem;
    use booking_core::{Error, booking::TaskError};
    let doc = description();
    let problems: Vec<Problem> = vec![
        Problem::invalid("name", "is required"),
        Problem::unauthorized("a bearer token is required"),
        Problem::forbidden(),
        Problem::not_found("service"),
        Problem::method_not_allowed(),
        Problem::payload_too_large(64 * 1024),
        Problem::unsupported_media_type(),
        Problem::rule("start", "is in the past"),
        Error::TooManyAttempts {
            retry_after_secs: 60,
        }
        .into(),
        Error::Conflict {
            field: "email",
            reason: "is already registered".into(),
        }
        .into(),
        Error::IllegalTransition {
            from: "FAILED",
            to: "CANCELLED",
        }
        .into(),
        TaskError::PaymentDeclined("declined".into()).into(),
        TaskError::PaymentTransient("timeout".into()).into(),
        TaskError::SlotUnavailable("taken".into()).into(),
        TaskError::LimitExceeded("too many".into()).into(),
    ];
    let s = schema(&doc, "Problem");
    let pattern = s["properties"]["type"]["pattern"].as_str().unwrap();
    assert_eq!(pattern, "^/problems/[a-z-]+$");
    let mut seen = BTreeMap::new();
    for p in problems {
        let status = p.status();
        let v = serde_json::to_value(&p).unwrap();
        check_response(&doc, "Problem", &p);
        assert_eq!(v["status"], status.as_u16(), "{v}");
        let kind = v["type"].as_str().unwrap();
        let name = kind.strip_prefix("/problems/").unwrap();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{kind} matches {pattern}"
        );
        if let Some(errors) = v.get("errors") {
            assert!(
                !errors.as_array().unwrap().is_empty(),
                "errors is absent when empty"
            );
        }
        seen.insert(kind.to_owned(), status);
    }
    assert!(seen.len() > 10, "{seen:?}");
}

#[test]
fn the_report_summary_schemas_match_what_the_summary_sends() {
    use booking_core::reports::{Figures, Revenue, ServiceSummary, StatusCounts, Summary};
    let doc = description();
    let figures = Figures {
        reservations: StatusCounts::default(),
        cancellations: 1,
        no_shows: 0,
        booked_minutes: 60,
        open_minutes: 480,
        occupancy: 0.125,
        revenue: vec![Revenue {
            currency: Currency::parse("currency", "EUR").unwrap(),
            gross_minor: 5000,
            refunds_minor: 2500,
            net_minor: 2500,
            charges: 1,
            refunds: 1,
        }],
    };
    let summary = Summary {
        from: "2026-12-01".parse().unwrap(),
        to: "2026-12-31".parse().unwrap(),
        time_zone: "Europe/Madrid".into(),
        services: vec![ServiceSummary {
            service_id: ServiceId::new(),
            service_name: "Massage".into(),
            figures: figures.clone(),
        }],
        totals: figures.clone(),
    };
    let summary = wire::reports::ReportSummary::from(summary);
    let v = serde_json::to_value(&summary).unwrap();
    check_response(&doc, "ReportSummary", &summary);
    check_response(&doc, "Figures", &v["totals"]);
    check_response(&doc, "Revenue", &v["totals"]["revenue"][0]);
    check_response(&doc, "StatusCounts", &v["totals"]["reservations"]);
    // ServiceSummary is Figures plus its own two fields (allOf)
    let parts = schema(&doc, "ServiceSummary")["allOf"].clone();
    assert_eq!(parts[0]["$ref"], "#/components/schemas/Figures");
    let mut described = properties(&parts[1]);
    described.extend(properties(&schema(&doc, "Figures")));
    let v = &v["services"][0];
    let keys: BTreeSet<String> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, described);
}
