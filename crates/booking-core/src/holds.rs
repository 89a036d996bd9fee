//! The rule that admits or refuses a hold, written once for every store: each adapter
//! counts what it read (atomically with its write: one mutex in memory, one transaction
//! conditioned on the items read in DynamoDB) and asks [`decide_hold`].

use crate::{Error, ports::HoldLimits};

/// Whether a customer with `holds` active holds and `upcoming` upcoming reservations may
/// hold a slot whose units already carry `unit_claims` live claims each, at `capacity`
/// per unit. The customer's limits are checked first, active holds before upcoming ones,
/// then capacity: a customer over a limit hears about the limit even on a full slot, and
/// the messages are what the client sees (422 `LimitExceeded`, 409 `SlotUnavailable`).
pub fn decide_hold(
    limits: HoldLimits,
    holds: usize,
    upcoming: usize,
    unit_claims: impl IntoIterator<Item = u32>,
    capacity: u32,
) -> Result<(), Error> {
    if holds >= limits.max_active_holds {
        return Err(Error::LimitExceeded(format!(
            "at most {} bookings may be in payment at once",
            limits.max_active_holds
        )));
    }
    if upcoming >= limits.max_upcoming {
        return Err(Error::LimitExceeded(format!(
            "at most {} upcoming reservations per customer",
            limits.max_upcoming
        )));
    }
    if unit_claims.into_iter().any(|claims| claims >= capacity) {
        return Err(Error::SlotUnavailable);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HoldLimits = HoldLimits {
        max_active_holds: 2,
        max_upcoming: 3,
    };

    fn reason(result: Result<(), Error>) -> String {
        match result {
            Err(Error::LimitExceeded(reason)) => reason,
            other => panic!("expected LimitExceeded, got {other:?}"),
        }
    }

    #[test]
    fn a_hold_under_every_limit_on_units_with_room_is_admitted() {
        // Given a customer under both limits and units one short of capacity
        // When the hold is decided
        // Then it is admitted
        assert!(decide_hold(LIMITS, 1, 2, [0, 1], 2).is_ok());
    }

    #[test]
    fn a_customer_at_the_hold_limit_is_refused_first_even_on_a_full_slot() {
        // Given a customer at both limits, on a full unit
        let decided = decide_hold(LIMITS, 2, 3, [2], 2);
        // Then the active holds are what refuses it
        assert_eq!(
            reason(decided),
            "at most 2 bookings may be in payment at once"
        );
    }

    #[test]
    fn a_customer_at_the_upcoming_limit_is_refused_before_capacity_is_looked_at() {
        let decided = decide_hold(LIMITS, 0, 3, [2], 2);
        assert_eq!(
            reason(decided),
            "at most 3 upcoming reservations per customer"
        );
    }

    #[test]
    fn one_full_unit_makes_the_slot_unavailable() {
        // Given a customer under the limits, and one of three units at capacity
        let decided = decide_hold(LIMITS, 0, 0, [0, 2, 1], 2);
        // Then the slot is unavailable, whatever room the other units have
        assert!(matches!(decided, Err(Error::SlotUnavailable)));
    }

    #[test]
    fn units_past_the_first_full_one_are_not_counted() {
        // Given claims that are counted on demand
        let mut counted = 0;
        let claims = [1, 1, 1].into_iter().inspect(|_| counted += 1);
        // When the first unit is already full
        let decided = decide_hold(LIMITS, 0, 0, claims, 1);
        // Then the decision stops there
        assert!(matches!(decided, Err(Error::SlotUnavailable)));
        assert_eq!(counted, 1);
    }
}
