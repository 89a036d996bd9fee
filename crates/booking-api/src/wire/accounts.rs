//! The bodies of `POST /api/auth/register` and `POST /api/auth/login`.

use booking_core::{accounts, password::Secret};
use serde::Deserialize;
use utoipa::ToSchema;

/// The body of `POST /api/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"email": "ana@example.com", "password": "a long passphrase", "name": "Ana"})))]
pub struct Registration {
    /// Stored in lower case; at most 254 characters.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// At least 10 characters, at most 1024 bytes, not only spaces or control characters,
    /// not the email address, not one of the 1,000 most common passwords (any case).
    #[schema(value_type = String, min_length = 10)]
    password: Secret,
    /// 1 to 100 characters after trimming, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: String,
}

impl From<Registration> for accounts::Registration {
    fn from(r: Registration) -> Self {
        accounts::Registration {
            email: r.email,
            password: r.password,
            name: r.name,
        }
    }
}

/// The body of `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"email": "ana@example.com", "password": "a long passphrase"})))]
pub struct Credentials {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(value_type = String, min_length = 1)]
    password: Secret,
}

impl From<Credentials> for accounts::Credentials {
    fn from(c: Credentials) -> Self {
        accounts::Credentials {
            email: c.email,
            password: c.password,
        }
    }
}
