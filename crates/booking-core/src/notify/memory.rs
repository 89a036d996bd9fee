//! In-memory adapters of the notify ports: the local outbox and the tests' inbox.

use std::{collections::HashSet, sync::Mutex};

use async_trait::async_trait;

use crate::{Error, ids::ReservationId, memory::MemoryLog, sync::lock};

use super::*;

/// A [`Mailer`] that keeps what it "sends": the local outbox and the tests' inbox.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    sent: MemoryLog<OutgoingEmail>,
    failing: Mutex<HashSet<String>>,
}

impl MemoryOutbox {
    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        self.sent.all()
    }

    /// From now on, sending to `to` fails as a provider outage would.
    pub fn fail_for(&self, to: &str) {
        lock(&self.failing).insert(to.to_owned());
    }
}

#[async_trait]
impl Mailer for MemoryOutbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), Error> {
        if lock(&self.failing).contains(&email.to) {
            return Err(Error::Store("the mail provider rejected the email".into()));
        }
        self.sent.items().push(email.clone());
        Ok(())
    }
}

/// A [`SentLog`] in one set; the mutex makes `claim` atomic.
#[derive(Debug, Default)]
pub struct MemorySentLog {
    claimed: Mutex<HashSet<(ReservationId, NotificationEvent)>>,
}

#[async_trait]
impl SentLog for MemorySentLog {
    async fn claim(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<bool, Error> {
        Ok(lock(&self.claimed).insert((reservation, event)))
    }

    async fn release(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<(), Error> {
        lock(&self.claimed).remove(&(reservation, event));
        Ok(())
    }
}
