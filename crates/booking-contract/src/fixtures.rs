//! The values the suites store, each built in one place: when a domain type gains or
//! changes a field, its builder here is the one line to change.

use booking_core::{
    catalog::{CancellationPolicy, Service},
    idempotency::{Fingerprint, IdempotencyKey},
    ids::{ReservationId, ServiceId, UserId},
    money::{Currency, Money},
    password::PasswordHash,
    payment::{GatewayKind, Payment, PaymentMethod, PaymentStatus, Prepayment},
    reservation::{Actor, Reservation, Status, StatusChange},
    time::Zone,
    user::{Email, Role, User},
};
use jiff::{SignedDuration, Timestamp};

/// How long a hold lasts in the reservation scenarios, as booking-core's default.
pub const HOLD: SignedDuration = SignedDuration::from_mins(5);

/// A timestamp written as RFC 3339.
pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

pub fn eur() -> Currency {
    Currency::parse("currency", "EUR").unwrap()
}

/// An email no other scenario uses, on every run: stores of the local cloud may outlive a
/// test.
pub fn unique_email(name: &str) -> Email {
    Email::parse(&format!("{name}.{}@example.com", ulid::Ulid::generate())).unwrap()
}

/// The start of slot unit `k` (30-minute units from a Monday morning, a week after the
/// reservation scenarios start).
pub fn unit(k: i64) -> Timestamp {
    at("2030-01-07T09:00:00Z") + mins(30 * k)
}

/// A PENDING_PAYMENT reservation of units `first..first + count`, held at `held_at`, as
/// `Booking::hold` builds one. The only place the contract builds a [`Reservation`].
pub fn reservation(
    customer: UserId,
    service: ServiceId,
    first: i64,
    count: i64,
    held_at: Timestamp,
) -> Reservation {
    Reservation {
        id: ReservationId::new(),
        customer_id: customer,
        service_id: service,
        service_name: "Haircut".into(),
        customer_email: Email::parse("ada@example.com").unwrap(),
        customer_name: "Ada".into(),
        time_zone: Zone::parse("timeZone", "Europe/Madrid").unwrap(),
        start: unit(first),
        end: unit(first + count),
        units: (first..first + count).map(unit).collect(),
        status: Status::PendingPayment,
        amount: Money {
            minor: 2500,
            currency: eur(),
        },
        payment_method: Some(PaymentMethod::visa()),
        // Authorised already, so that the life cycle's scenarios can confirm it; the
        // payment's own scenarios start from `Payment::new`.
        payment: authorized("pi_fixture"),
        refund_due_minor: None,
        idempotency_key: IdempotencyKey::parse("key", &format!("key-{}", ulid::Ulid::generate()))
            .unwrap(),
        fingerprint: Fingerprint::of(service, unit(first), Some(&PaymentMethod::visa())),
        hold_expires_at: held_at + HOLD,
        failure: None,
        history: vec![StatusChange {
            at: held_at,
            from: None,
            to: Status::PendingPayment,
            actor: Actor::User {
                id: customer,
                role: Role::Customer,
            },
            reason: "slot held for payment".into(),
        }],
        created_at: held_at,
        version: 1,
    }
}

/// An active service of the catalog, with a fresh id.
pub fn service(name: &str) -> Service {
    let created = "2026-11-28T10:00:00.000000001Z".parse().unwrap();
    Service {
        id: ServiceId::new(),
        name: name.into(),
        description: "Wash, cut and dry".into(),
        duration_minutes: 30,
        buffer_minutes: 5,
        price_minor: 2500,
        currency: eur(),
        capacity: 2,
        min_notice_minutes: 60,
        max_advance_days: 90,
        cancellation: CancellationPolicy {
            full_refund_hours_before: 24,
            late_refund_percent: 50,
        },
        // Not the default, so that a store that drops the field is caught.
        prepayment: Prepayment::None,
        active: true,
        created_at: created,
        updated_at: created,
    }
}

/// A customer with this email and a fresh id.
pub fn user(email: &Email) -> User {
    User {
        id: UserId::new(),
        email: email.clone(),
        name: "Ana".into(),
        role: Role::Customer,
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        ),
        created_at: "2026-11-28T10:00:00.123456789Z".parse().unwrap(),
    }
}

/// A payment authorised at the simulated gateway under `authorization`.
pub fn authorized(authorization: &str) -> Payment {
    Payment {
        gateway: Some(GatewayKind::Simulated),
        status: PaymentStatus::Authorized,
        authorization: Some(authorization.into()),
        charge: None,
    }
}
