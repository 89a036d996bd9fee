//! The JSON the HTTP API exchanges: each request body and response part is declared once
//! here, deriving its serde shape and its OpenAPI schema together, and converts into (or is
//! built from) booking-core's types, which do the validating and name every bad field.
//! booking-core's own serde forms are its storage documents, not these. The string formats
//! the API shares (ULIDs, currencies, enum names) are in [`formats`], read from core's lists.

pub mod accounts;
pub mod catalog;
pub mod formats;
pub mod reports;
pub mod reservation;
pub mod settings;
