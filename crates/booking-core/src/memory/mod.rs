//! In-memory adapters for every port: the embedded default and the handler tests use them.
//! Each holds its state behind one mutex, which makes every operation atomic, as the
//! conditional writes of the DynamoDB adapters are.

mod catalog;
mod ledger;
mod log;
mod reservations;
mod users;

pub use catalog::{MemoryCatalog, MemorySettings};
pub use ledger::MemoryLedger;
pub use log::MemoryLog;
pub use reservations::MemoryReservations;
pub use users::{MemoryThrottle, MemoryUsers};

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    booking::{Booking, BookingConfig},
    notify::Notification,
    payment::SimulatedGateway,
    ports::{Clock, NotificationQueue},
    sync::lock,
};

/// A queue that keeps what was sent, for tests.
pub type MemoryQueue = MemoryLog<Notification>;

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        self.items().push(notification.clone());
        Ok(())
    }
}

/// One of each in-memory store, wired together: the embedded default's whole storage.
#[derive(Debug, Default, Clone)]
pub struct MemoryStores {
    pub users: Arc<MemoryUsers>,
    pub catalog: Arc<MemoryCatalog>,
    pub settings: Arc<MemorySettings>,
    pub reservations: Arc<MemoryReservations>,
    pub ledger: Arc<MemoryLedger>,
}

impl MemoryStores {
    /// The workflow tasks over these stores and the simulated payment gateway.
    pub fn booking(&self, clock: Arc<dyn Clock>, config: BookingConfig) -> Booking {
        Booking {
            reservations: self.reservations.clone(),
            ledger: self.ledger.clone(),
            gateway: Arc::new(SimulatedGateway::default()),
            services: self.catalog.clone(),
            settings: self.settings.clone(),
            users: self.users.clone(),
            clock,
            config,
        }
    }
}

/// A clock that stands still until moved; for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut g = lock(&self.0);
        *g = crate::availability::plus(*g, by);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}
