//! The one way the DynamoDB adapters try again after losing a race (a condition that no
//! longer held, a cancelled transaction, keys a batch left unprocessed): a budget of
//! attempts per operation, a jittered backoff between them, and the store error that ends
//! an operation whose every attempt lost. Each caller keeps its own loop, saying what it
//! retries and what its last attempt answers (docs/dynamodb.md, access patterns).

use std::fmt::Display;

use booking_core::Error;

use super::store_err;

/// Attempts an operation gets: enough for a handful of writers colliding on one item to
/// all get through (each retry waits longer, at random), few enough that a lost cause
/// fails within a second.
pub const ATTEMPTS: u32 = 5;

/// Transactions an operation on a reservation's slot claims gets (hold, confirm, release,
/// cancel, record_visit). More than [`ATTEMPTS`]: a hold contends on each of its units and
/// on the customer's bookings item at once, so it meets more races than a write of one item.
pub const CLAIM_ATTEMPTS: u32 = 8;

/// One operation's attempts: which one is under way, out of how many.
#[derive(Debug)]
pub struct Attempts {
    op: &'static str,
    budget: u32,
    made: u32,
}

impl Attempts {
    /// The first of `budget` attempts at `op` (named in the logs and in the final error).
    pub fn new(op: &'static str, budget: u32) -> Self {
        Attempts {
            op,
            budget,
            made: 1,
        }
    }

    /// Whether the attempt under way is the last the budget allows: a caller whose last
    /// failure means something of its own (the service changed, the email is taken) answers
    /// it instead of calling [`Attempts::again`].
    pub fn last(&self) -> bool {
        self.made >= self.budget
    }

    /// Moves on after the attempt under way failed for `why`: to the next attempt after a
    /// jittered backoff or, once the budget is spent, to the store error that ends the
    /// operation.
    pub async fn again(&mut self, why: impl Display) -> Result<(), Error> {
        if self.last() {
            return Err(store_err(anyhow::anyhow!(
                "{}: gave up after {} attempts (the last: {why})",
                self.op,
                self.made
            )));
        }
        tracing::debug!(op = self.op, attempt = self.made, %why, "trying again");
        backoff(self.made).await;
        self.made += 1;
        Ok(())
    }
}

/// Waits after attempt `made` failed: a random time below 40 ms after the first, doubling
/// per attempt up to 1.28 s (full jitter, so that the writers that collided do not collide
/// again).
async fn backoff(made: u32) {
    let cap_ms = 20u64 << made.min(6);
    let random = u64::try_from(ulid::Ulid::generate().random() & u128::from(u64::MAX)).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(random % cap_ms)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_operation_gets_its_whole_budget_and_then_a_store_error_naming_it() {
        // Given a budget of three attempts
        let mut attempts = Attempts::new("hold", 3);
        // When two fail, there is a third, and it is the last
        assert!(!attempts.last());
        attempts.again("first").await.unwrap();
        attempts.again("second").await.unwrap();
        assert!(attempts.last());
        // Then its failure ends the operation with a store error saying what and why
        let Err(Error::Store(cause)) = attempts.again("lost again").await else {
            panic!("expected a store error");
        };
        assert_eq!(
            cause.to_string(),
            "hold: gave up after 3 attempts (the last: lost again)"
        );
    }

    #[tokio::test]
    async fn a_budget_of_one_attempt_never_waits() {
        let mut attempts = Attempts::new("insert", 1);
        assert!(attempts.last());
        assert!(attempts.again("conflict").await.is_err());
    }
}
