//! Route handlers by area. Handlers only decode input, call booking-core and encode output.

pub mod auth;
pub mod catalog;
pub mod health;
pub mod history;
pub mod paging;
pub mod payments;
pub mod reports;
pub mod reservations;
pub mod settings;
pub mod visits;
