//! The handler tests of booking-api: the real routers over booking-local's in-memory
//! wiring, driven in-process, in one test binary (one link) with a module per area.
#![allow(clippy::unwrap_used, dead_code)] // tests: a panic is a failed test

mod auth;
mod catalog;
mod common;
mod openapi;
mod reports;
mod reservations;
mod transport;
