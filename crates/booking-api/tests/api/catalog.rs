//! The catalog of services, availability and the business settings.

use crate::common::{World, assert_problem, haircut, strings};
use axum::http::{Method, StatusCode, header};
use booking_core::{ids::ServiceId, user::Role};
use serde_json::json;

// ---------- services ----------

#[tokio::test]
async fn an_admin_creates_updates_and_deactivates_a_service() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w
        .call(Method::POST, "/api/services", Some(&admin), Some(haircut()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.headers[header::LOCATION], format!("/api/services/{id}"));
    assert_eq!(r.body["capacity"], 1);

    let p = w
        .call(
            Method::PATCH,
            &format!("/api/services/{id}"),
            Some(&admin),
            Some(json!({"priceMinor": 3000, "capacity": 2})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(
        (p.body["priceMinor"].as_i64(), p.body["capacity"].as_i64()),
        (Some(3000), Some(2))
    );
    assert_eq!(p.body["createdAt"], r.body["createdAt"]);

    let d = w
        .call(
            Method::DELETE,
            &format!("/api/services/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["active"], false);

    let public = w.call(Method::GET, "/api/services", None, None).await;
    assert_eq!(public.body["items"].as_array().unwrap().len(), 0);
    assert_problem(
        &w.call(Method::GET, &format!("/api/services/{id}"), None, None)
            .await,
        StatusCode::NOT_FOUND,
        None,
    );
    let all = w.get(&admin, "/api/services?includeInactive=true").await;
    assert_eq!(all.body["items"][0]["id"], id.as_str());
    assert_eq!(
        w.get(&admin, &format!("/api/services/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_overflowing_service_id_is_400_and_a_lower_case_one_finds_the_service() {
    // Given a service
    let (w, id) = World::with_haircut().await;
    // When it is asked for by `8` + the last 25 characters of its id (the same 128 bits
    // once the overflow is dropped)
    let alias = w
        .call(
            Method::GET,
            &format!("/api/services/8{}", &id[1..]),
            None,
            None,
        )
        .await;
    // Then that is a 400 naming the id, not the service
    assert_problem(&alias, StatusCode::BAD_REQUEST, Some("id"));
    // When it is asked for by its id in lower case
    let lower = w
        .call(
            Method::GET,
            &format!("/api/services/{}", id.to_ascii_lowercase()),
            None,
            None,
        )
        .await;
    // Then it is found and its id comes back in the canonical upper case
    assert_eq!(lower.status, StatusCode::OK, "{}", lower.body);
    assert_eq!(lower.body["id"], id.to_ascii_uppercase().as_str());
}

#[tokio::test]
async fn invalid_services_are_rejected_field_by_field() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w
        .call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({
                "name": "", "durationMinutes": 7, "priceMinor": 10, "currency": "EURO"
            })),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("name"));
    let fields = strings(&r.body["errors"], "field");
    assert_eq!(fields, ["name", "durationMinutes", "currency"]);
    let ghost = format!("/api/services/{}", ServiceId::new());
    for (method, uri, body, status, field) in [
        (
            Method::POST,
            "/api/services",
            json!({"name": "X", "durationMinutes": 30, "priceMinor": 10, "currency": "EUR",
                "colour": "red"}),
            StatusCode::BAD_REQUEST,
            Some("colour"),
        ),
        (
            Method::POST,
            "/api/services",
            json!({"name": "X"}),
            StatusCode::BAD_REQUEST,
            Some("durationMinutes"),
        ),
        (
            Method::POST,
            "/api/services",
            json!({"name": "X", "durationMinutes": -30, "priceMinor": 10, "currency": "EUR"}),
            StatusCode::BAD_REQUEST,
            Some("durationMinutes"),
        ),
        (
            Method::PATCH,
            "/api/services/123",
            json!({}),
            StatusCode::BAD_REQUEST,
            Some("id"),
        ),
        (
            Method::PATCH,
            &ghost,
            json!({}),
            StatusCode::NOT_FOUND,
            None,
        ),
    ] {
        let r = w.call(method.clone(), uri, Some(&admin), Some(body)).await;
        assert_eq!(r.status, status, "{method} {uri}: {}", r.body);
        assert_problem(&r, status, field);
    }
    assert_eq!(
        w.get(&admin, "/api/services?includeInactive=true")
            .await
            .body["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_service_blocks_at_most_450_minutes_with_its_buffer() {
    // Given an admin, on the default 15-minute grid
    let w = World::new();
    let admin = w.admin().await;
    let create = |duration: u32, buffer: u32| {
        w.call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({"name": "Long", "durationMinutes": duration,
                "bufferMinutes": buffer, "priceMinor": 10, "currency": "EUR"})),
        )
    };
    let reason =
        |r: &crate::common::Reply| r.body["errors"][0]["reason"].as_str().unwrap().to_owned();

    // When services of 450 + 5, 450 + 0, 480 + 0 and 480 + 15 minutes are created
    let over = create(450, 5).await;
    let most = create(450, 0).await;
    let long = create(480, 0).await;
    let longer = create(480, 15).await;

    // Then 450 in all is accepted; past it the buffer is named, with the sum's limit
    assert_eq!(most.status, StatusCode::CREATED, "{}", most.body);
    assert_problem(&over, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    assert!(
        reason(&over).contains("at most 450 minutes"),
        "{}",
        over.body
    );
    // And a duration over 450 on its own is refused by name
    for r in [&long, &longer] {
        assert_problem(r, StatusCode::BAD_REQUEST, Some("durationMinutes"));
        assert!(reason(r).contains("450"), "{}", r.body);
        assert_eq!(r.body["errors"].as_array().unwrap().len(), 1, "{}", r.body);
    }

    // When the 450-minute service is patched to a 5-minute buffer, or a shorter one to a
    // 480-minute duration or to 450 + 15
    let uri = |id: &str| format!("/api/services/{id}");
    let most_id = most.body["id"].as_str().unwrap();
    let buffer_5 = Some(json!({"bufferMinutes": 5}));
    let buffered = w
        .call(Method::PATCH, &uri(most_id), Some(&admin), buffer_5)
        .await;
    let short = w.service(&admin, haircut()).await;
    let to_480 = Some(json!({"durationMinutes": 480}));
    let lengthened = w
        .call(Method::PATCH, &uri(&short), Some(&admin), to_480)
        .await;
    let to_465 = Some(json!({"durationMinutes": 450, "bufferMinutes": 15}));
    let both = w
        .call(Method::PATCH, &uri(&short), Some(&admin), to_465)
        .await;

    // Then each is refused naming the same field as on creation, and nothing changed
    assert_problem(&buffered, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    assert_problem(
        &lengthened,
        StatusCode::BAD_REQUEST,
        Some("durationMinutes"),
    );
    assert_problem(&both, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    let stored = w
        .call(Method::GET, &format!("/api/services/{short}"), None, None)
        .await;
    assert_eq!(stored.body["durationMinutes"], 60, "{}", stored.body);
    assert_eq!(stored.body["bufferMinutes"], 0, "{}", stored.body);
}

// ---------- availability and settings ----------

#[tokio::test]
async fn availability_lists_local_starts_and_honours_claims() {
    let (w, admin) = World::open().await;
    let id = w
        .service(
            &admin,
            json!({"name": "Massage", "durationMinutes": 60, "bufferMinutes": 30,
        "priceMinor": 5000, "currency": "EUR", "capacity": 2}),
        )
        .await;
    let uri = format!("/api/services/{id}/availability?from=2026-11-30&to=2026-11-30");
    let r = w.call(Method::GET, &uri, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["timeZone"], "Europe/Madrid");
    let starts: Vec<_> = r.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_owned())
        .collect();
    // 09:00..11:30 fit before 13:00 with the buffer, 14:00..16:30 before 18:00
    assert_eq!(starts.len(), 12);
    assert_eq!(starts[0], "2026-11-30T09:00:00+01:00");
    assert_eq!(r.body["slots"][0]["end"], "2026-11-30T10:00:00+01:00");
    assert_eq!(r.body["slots"][0]["remaining"], 2);

    // Given two bookings of the 10:00 start, starts whose units overlap it disappear
    for email in ["one@example.com", "two@example.com"] {
        let (_, token) = w.user(email, Role::Customer).await;
        let r = w
            .book(
                &token,
                &id,
                "2026-11-30T10:00:00+01:00",
                "pm_card_visa",
                email,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = w.call(Method::GET, &uri, None, None).await;
    let starts: Vec<_> = r.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap()[11..16].to_owned())
        .collect();
    // 10:00 + 60 + 30 blocks 10:00-11:30: every start overlapping it is full
    assert_eq!(starts.len(), 7);
    for gone in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
        assert!(
            !starts.contains(&gone.to_owned()),
            "{gone} should be full: {starts:?}"
        );
    }
    assert_eq!(starts[0], "11:30");
}

#[tokio::test]
async fn availability_rejects_bad_ranges_and_unknown_services() {
    let (w, id) = World::with_haircut().await;
    let get = |q: String| {
        let w = &w;
        async move { w.call(Method::GET, &q, None, None).await }
    };
    assert_problem(
        &get(format!("/api/services/{id}/availability?from=2026-12-01")).await,
        StatusCode::BAD_REQUEST,
        Some("to"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{id}/availability?from=2026-12-01&to=2027-01-05"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        Some("to"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{id}/availability?from=01/12/2026&to=2026-12-02"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        Some("from"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{}/availability?from=2026-12-01&to=2026-12-02",
            ServiceId::new()
        ))
        .await,
        StatusCode::NOT_FOUND,
        None,
    );
    // Default settings have no opening hours: valid request, nothing bookable.
    let r = get(format!(
        "/api/services/{id}/availability?from=2026-12-01&to=2026-12-07"
    ))
    .await;
    assert_eq!(
        (r.status, r.body["slots"].clone()),
        (StatusCode::OK, json!([]))
    );
}

#[tokio::test]
async fn settings_are_public_to_read_and_validated_on_write() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w.call(Method::GET, "/api/settings", None, None).await;
    assert_eq!(
        (r.status, r.body["timeZone"].clone()),
        (StatusCode::OK, json!("UTC"))
    );
    w.open_every_day(&admin).await;
    let r = w.call(Method::GET, "/api/settings", None, None).await;
    assert_eq!(
        r.body["weeklyHours"]["sun"][1],
        json!({"open": "14:00", "close": "18:00"})
    );
    let bad = w.call(Method::PUT, "/api/settings", Some(&admin), Some(json!({
        "timeZone": "Europe/Nowhere", "slotMinutes": 30, "weeklyHours": {"mon": [{"open": "18:00", "close": "09:00"}]}
    }))).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("timeZone"));
    assert_eq!(bad.body["errors"][1]["field"], "weeklyHours.mon[0].close");
    // A grid that an existing service does not fit is refused
    w.service(
        &admin,
        json!({"name": "Quick", "durationMinutes": 30, "priceMinor": 1, "currency": "EUR"}),
    )
    .await;
    let coarse = w
        .call(
            Method::PUT,
            "/api/settings",
            Some(&admin),
            Some(json!({
                "timeZone": "UTC", "slotMinutes": 60, "weeklyHours": {}
            })),
        )
        .await;
    assert_problem(&coarse, StatusCode::BAD_REQUEST, Some("slotMinutes"));
    assert_eq!(
        w.call(Method::GET, "/api/settings", None, None).await.body["slotMinutes"],
        30
    );
}
