//! Schemas of the string formats the API shares: ULIDs, currency codes, the slot grid and
//! the names of booking-core's enums. Each list is read from booking-core, which owns it.

use std::borrow::Cow;

use booking_core::{
    money::Currency as CoreCurrency,
    payment::{GatewayKind, PaymentMethod as CoreMethod, PaymentStatus as CorePaymentStatus},
    reservation::Status as CoreStatus,
    settings::SLOT_SIZES,
    user::Role as CoreRole,
};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};

/// The pattern of a canonical ULID (the first character is 0-7: 128 bits).
pub const ULID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$";

/// A named string or integer schema; `$build` adds its constraints to an `ObjectBuilder`.
macro_rules! format_schema {
    ($(#[$doc:meta])* $name:ident, $build:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let build: fn() -> ObjectBuilder = $build;
                build().into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

format_schema!(
    /// A ULID in its canonical form.
    Ulid,
    || {
        string("A ULID in its canonical form: 26 characters of Crockford's base32, upper case.")
            .min_length(Some(26))
            .max_length(Some(26))
            .pattern(Some(ULID_PATTERN))
            .examples(["01KB5ZQ8GQ4W3N9V7Y2X1M0PAB"])
    }
);

format_schema!(
    /// An ISO 4217 code booking-core's `Currency` accepts.
    Currency,
    || {
        string(
            "An upper-case ISO 4217 currency code this product supports; amounts are in its \
             minor units (cents for EUR, yen for JPY, fils for KWD).",
        )
        .enum_values(Some(CoreCurrency::all().map(CoreCurrency::code)))
        .examples(["EUR"])
    }
);

format_schema!(
    /// The slot grid in minutes.
    SlotMinutes,
    || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(
                "The slot grid in minutes: one of 5, 10, 15, 20, 30, 60 (sizes that divide an \
                 hour). Every service's duration must be a multiple of it.",
            ))
            .enum_values(Some(SLOT_SIZES))
    }
);

format_schema!(
    /// A user's role.
    Role,
    || {
        string("A user's role: customers book, staff run the day, admins manage everything.")
            .enum_values(Some(CoreRole::ALL.map(CoreRole::as_str)))
    }
);

format_schema!(
    /// A reservation's status.
    Status,
    || {
        string(
            "A reservation's status. `PENDING_PAYMENT` becomes `CONFIRMED` or `FAILED`; \
             `CONFIRMED` becomes `CANCELLED`, `COMPLETED` or `NO_SHOW`, or `FAILED` when its \
             payment could not be captured after all.",
        )
        .enum_values(Some(CoreStatus::ALL.map(CoreStatus::as_str)))
    }
);

format_schema!(
    /// A payment-method id.
    PaymentMethod,
    || {
        string(
            "A Stripe PaymentMethod id (`pm_...`, what Stripe.js creates in the browser). \
             Stripe's test tokens work with both gateways: `pm_card_visa` is authorised, \
             `pm_card_chargeDeclined` is declined, `pm_card_processingError` fails \
             transiently, `pm_card_authenticationRequired` asks for 3-D Secure (the \
             simulated gateway counts it as authenticated when the request is repeated); \
             the simulated gateway declines any other id.",
        )
        .pattern(Some("^pm_[A-Za-z0-9_]{1,97}$"))
        .examples([CoreMethod::TEST_TOKENS[0]])
    }
);

format_schema!(
    /// Where a reservation's payment stands at the gateway.
    PaymentStatus,
    || {
        string(
            "Where the payment stands at the gateway: `at_venue` (paid at the venue, nothing \
             online), `pending` (nothing asked yet), `requires_action` (the customer must \
             authenticate: 3-D Secure), `authorized` (the amount is held on the card), \
             `captured` (taken; see `chargedMinor`), `voided` (released: nothing was taken).",
        )
        .enum_values(Some(CorePaymentStatus::ALL.map(CorePaymentStatus::as_str)))
    }
);

format_schema!(
    /// A payment gateway.
    Gateway,
    || {
        string(
            "The payment gateway: `stripe`, or `simulated` (Stripe's test tokens, no money \
             moves: booking-local's default and a staging stack's choice).",
        )
        .enum_values(Some([GatewayKind::Stripe, GatewayKind::Simulated].map(GatewayKind::as_str)))
    }
);
