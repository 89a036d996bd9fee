//! Notifications: the message the booking workflow puts on the queue, the emails rendered
//! from it, and the worker that delivers a batch at most once per (reservation, event).

mod deliver;
mod memory;
mod message;
mod render;

pub use deliver::*;
pub use memory::*;
pub use message::*;
pub use render::*;

#[cfg(test)]
mod tests;
