//! Demo data for booking-local: opening hours, three services, an admin and a customer.

use booking_api::wire::catalog::NewService;
use booking_core::{accounts::Registration, settings::SettingsDoc, user::Role};

/// A fresh 32-byte secret from the OS RNG, used when JWT_SECRET is not configured; tokens
/// then die with the process.
pub fn random_secret() -> Result<Vec<u8>, getrandom::Error> {
    let mut secret = vec![0; 32];
    getrandom::fill(&mut secret)?;
    Ok(secret)
}

/// Seeds the stores and returns the demo accounts to print: (role, email, password).
pub async fn seed(
    local: &crate::Local,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<(&'static str, String, String)>, Box<dyn std::error::Error>> {
    let catalog = local.services.catalog();
    let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
        "timeZone": "Europe/Madrid",
        "slotMinutes": 15,
        "weeklyHours": {
            "mon": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
            "tue": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
            "wed": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
            "thu": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
            "fri": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
            "sat": [{"open": "10:00", "close": "14:00"}],
        },
        "closedDates": ["2026-12-25", "2027-01-01", "2027-01-06"]
    }))?;
    catalog.put_settings(doc).await?;
    for json in [
        serde_json::json!({"name": "Haircut", "description": "Wash, cut and style.",
            "durationMinutes": 30, "bufferMinutes": 10, "priceMinor": 2500, "currency": "EUR",
            "minNoticeMinutes": 60}),
        serde_json::json!({"name": "Colour", "description": "Full colour with a consultation.",
            "durationMinutes": 90, "bufferMinutes": 15, "priceMinor": 6500, "currency": "EUR",
            "minNoticeMinutes": 1440, "cancellation": {"fullRefundHoursBefore": 48, "lateRefundPercent": 50}}),
        serde_json::json!({"name": "Beard trim", "durationMinutes": 15, "priceMinor": 1200,
            "currency": "EUR", "capacity": 2}),
    ] {
        catalog
            .create(serde_json::from_value::<NewService>(json)?.into())
            .await?;
    }

    let mut accounts = Vec::new();
    for (role, prefix, default_email, default_password) in [
        (
            Role::Admin,
            "BOOKING_ADMIN",
            "admin@example.com",
            "change-me-admin-123",
        ),
        (
            Role::Customer,
            "BOOKING_CUSTOMER",
            "customer@example.com",
            "change-me-customer-123",
        ),
    ] {
        let email = var(&format!("{prefix}_EMAIL")).unwrap_or_else(|| default_email.into());
        let password =
            var(&format!("{prefix}_PASSWORD")).unwrap_or_else(|| default_password.into());
        let name = if role == Role::Admin {
            "Demo Admin"
        } else {
            "Demo Customer"
        };
        let reg = Registration {
            email: email.clone(),
            password: password.as_str().into(),
            name: name.into(),
        };
        local
            .auth
            .accounts()
            .create_account(reg, role)
            .await
            .map_err(|e| format!("{prefix}_EMAIL / {prefix}_PASSWORD: {e}"))?;
        accounts.push((role.as_str(), email, password));
    }
    Ok(accounts)
}
