//! The contract of every store port of booking-core, written once and run against every
//! adapter family: one suite per port (a module here), each scenario a public async fn over
//! the port, and [`contract!`], which makes one test per scenario for a family given a
//! factory of fresh [`Stores`].
//!
//! A family joins with one call, in a test file of its crate:
//!
//! ```text
//! booking_contract::contract! {
//!     #[ignore = "needs DynamoDB (scripts/test cloud)"]
//!     dynamodb => fresh_stores, property_run = PropertyRun { cases: 32, ops: 4..=8 }
//! }
//! ```
//!
//! which makes `dynamodb::<suite>::<scenario>`, so a failure names the scenario and the
//! store. Every test gets stores of its own, so no scenario depends on another.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

pub mod capacity;
pub mod catalog;
pub mod fixtures;
pub mod ledger;
pub mod reservations;
pub mod sent_log;
pub mod settings;
pub mod throttle;
pub mod users;

use std::{
    fmt,
    future::{Future, poll_fn},
    pin::Pin,
    sync::Arc,
    task::Poll,
};

use booking_core::{
    memory::{
        MemoryCatalog, MemoryLedger, MemoryReservations, MemorySettings, MemoryThrottle,
        MemoryUsers,
    },
    notify::{MemorySentLog, SentLog},
    payment::PaymentLedger,
    ports::{CatalogStore, ClaimReader, ReservationStore, SettingsStore, Throttle, UserStore},
};

pub use capacity::PropertyRun;

/// Both reservation ports at once: every adapter family implements them on one store, and
/// the claims must agree with the reservations.
pub trait Reservations: ReservationStore + ClaimReader {}
impl<T: ReservationStore + ClaimReader> Reservations for T {}

/// One fresh set of stores of a family, as a deployment wires them (on one table, one
/// database, ...): what a family's factory returns for each test.
#[derive(Clone)]
pub struct Stores {
    pub reservations: Arc<dyn Reservations>,
    pub catalog: Arc<dyn CatalogStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub users: Arc<dyn UserStore>,
    pub ledger: Arc<dyn PaymentLedger>,
    pub sent_log: Arc<dyn SentLog>,
    pub throttle: Arc<dyn Throttle>,
}

impl Stores {
    /// booking-core's in-memory adapters, empty.
    pub fn memory() -> Self {
        Stores {
            reservations: Arc::new(MemoryReservations::default()),
            catalog: Arc::new(MemoryCatalog::default()),
            settings: Arc::new(MemorySettings::default()),
            users: Arc::new(MemoryUsers::default()),
            ledger: Arc::new(MemoryLedger::default()),
            sent_log: Arc::new(MemorySentLog::default()),
            throttle: Arc::new(MemoryThrottle::default()),
        }
    }
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

/// Runs the futures concurrently (interleaved on this task) and returns their outputs in
/// the order given: "N concurrent writers" without spawning, so the scenarios borrow the
/// store.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.unwrap_or_else(|| unreachable!("every future completed")))
        .collect()
}

/// The candidates whose write succeeded, of `candidates` raced with `results` in the same
/// order.
pub fn winners<'a, T, O, E>(candidates: &'a [T], results: &[Result<O, E>]) -> Vec<&'a T> {
    candidates
        .iter()
        .zip(results)
        .filter(|(_, r)| r.is_ok())
        .map(|(c, _)| c)
        .collect()
}

/// What the macro uses, so that a family's crate needs no tokio of its own.
#[doc(hidden)]
pub mod __private {
    pub use tokio;
}

/// Makes one test per scenario of every suite for one adapter family:
/// `<arm>::<suite>::<scenario>`, each over `Stores` of its own from the factory (a path or
/// closure `Fn() -> impl Future<Output = Stores>`, resolved where the macro is called). The
/// attributes (`#[ignore = "..."]`, say) go on every test; `property_run` sizes the capacity
/// property (default [`PropertyRun::thorough`]). The calling crate names this one
/// `booking_contract` (the tests' runtime is reached through it).
#[macro_export]
macro_rules! contract {
    (@run) => { $crate::PropertyRun::thorough() };
    (@run $run:expr) => { $run };
    (@suite $attrs:tt $arm:ident $suite:ident { $($scenario:ident $ports:tt),+ $(,)? }) => {
        mod $suite {
            $($crate::contract!(@test $attrs $arm $suite $scenario $ports);)+
        }
    };
    (@test [$(#[$attr:meta])*] $arm:ident $suite:ident $scenario:ident ($($port:ident),+)) => {
        #[$crate::__private::tokio::test(crate = "booking_contract::__private::tokio")]
        $(#[$attr])*
        async fn $scenario() {
            let stores = super::stores().await;
            let started = ::std::time::Instant::now();
            $crate::$suite::$scenario($(&*stores.$port),+).await;
            eprintln!(
                "{}::{} ({}): {:?}",
                stringify!($suite),
                stringify!($scenario),
                stringify!($arm),
                started.elapsed()
            );
        }
    };
    (
        $(#[$attr:meta])*
        $arm:ident => $factory:expr $(, property_run = $run:expr)? $(,)?
    ) => {
        /// The contract suites over this family's stores.
        mod $arm {
            #[allow(unused_imports)]
            use super::*;

            async fn stores() -> $crate::Stores {
                ($factory)().await
            }

            fn property_run() -> $crate::PropertyRun {
                $crate::contract!(@run $($run)?)
            }

            $crate::contract!(@suite [$(#[$attr])*] $arm reservations {
                a_hold_creates_the_reservation_and_claims_each_of_its_units(reservations),
                a_second_hold_of_the_same_id_returns_the_stored_reservation(reservations),
                a_unit_takes_as_many_live_holds_as_its_capacity(reservations),
                overlapping_holds_collide_only_on_their_shared_unit(reservations),
                an_expired_hold_no_longer_counts(reservations),
                holds_in_payment_are_limited_per_customer(reservations),
                upcoming_reservations_are_limited_per_customer(reservations),
                a_live_hold_is_confirmed_and_confirming_again_changes_nothing(reservations),
                a_lapsed_hold_cannot_be_confirmed(reservations),
                releasing_a_pending_hold_fails_it_and_frees_its_units(reservations),
                a_confirmed_reservation_cannot_be_released(reservations),
                cancelling_a_confirmed_reservation_frees_its_units(reservations),
                a_confirm_racing_a_release_leaves_one_consistent_outcome(reservations),
                a_visit_is_recorded_once_its_start_has_passed(reservations),
                concurrent_visit_outcomes_leave_exactly_one(reservations),
                the_first_binding_of_an_idempotency_key_wins(reservations),
                concurrent_bindings_of_one_key_agree_on_a_single_winner(reservations),
                twenty_concurrent_holds_for_the_last_place_leave_exactly_one_winner(reservations),
                concurrent_holds_of_one_customer_stop_at_the_hold_limit(reservations),
                listings_are_ordered_filtered_and_paged_to_the_end(reservations),
                claim_counts_show_the_live_claims_in_the_window_only(reservations),
                a_reservation_of_the_most_units_a_service_claims_is_held_and_confirmed(reservations),
                a_hold_is_confirmed_only_once_its_payment_is_authorised(reservations),
                a_payment_only_moves_forward_and_keeps_its_first_authorisation(reservations),
                of_ten_concurrent_authorisations_the_first_recorded_stands(reservations),
                a_capture_that_failed_revokes_the_booking_and_frees_its_units(reservations),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm catalog {
                a_new_service_can_be_read_back(catalog),
                a_second_service_with_the_same_id_is_rejected(catalog),
                the_list_is_in_id_order_and_shows_inactive_services_only_when_asked(catalog),
                a_replace_from_the_current_service_is_stored(catalog),
                a_replace_from_a_stale_service_is_a_conflict(catalog),
                of_ten_concurrent_replaces_from_one_read_exactly_one_wins(catalog),
                replacing_a_missing_service_is_not_found(catalog),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm ledger {
                entries_of_returns_every_entry_of_the_reservations_asked_for(ledger),
                recorded_entries_are_returned_and_listed_by_reservation(ledger),
                a_second_record_of_the_same_kind_returns_the_first_entry_unchanged(ledger),
                of_ten_concurrent_records_of_one_kind_one_is_stored_and_all_return_it(ledger),
                between_takes_entries_from_from_inclusive_to_to_exclusive_oldest_first(ledger),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm sent_log {
                the_first_claim_of_a_pair_wins_and_the_next_is_refused(sent_log),
                claims_of_other_events_or_reservations_are_independent(sent_log),
                a_released_claim_can_be_claimed_again_once(sent_log),
                releasing_an_unclaimed_pair_is_harmless(sent_log),
                of_twenty_concurrent_claims_of_one_pair_exactly_one_wins(sent_log),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm settings {
                a_fresh_store_has_no_settings(settings),
                stored_settings_are_read_back_and_a_second_put_replaces_them(settings),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm throttle {
                a_window_takes_the_limit_and_refuses_the_rest(throttle),
                a_closed_window_gives_way_to_a_new_one(throttle),
                giving_back_frees_one_place_of_the_same_window_only(throttle),
                giving_back_never_goes_below_zero(throttle),
                keys_are_counted_apart(throttle),
                of_thirty_attempts_at_once_exactly_the_limit_is_counted(throttle),
                of_thirty_guesses_at_once_from_one_address_five_are_judged(throttle, users),
            });
            $crate::contract!(@suite [$(#[$attr])*] $arm users {
                a_new_user_can_be_read_back_by_id_and_by_email(users),
                a_second_user_with_the_same_email_is_rejected(users),
                of_twenty_concurrent_registrations_of_one_email_exactly_one_succeeds(users),
                pages_follow_the_cursor_to_the_end_without_duplicates_or_gaps(users),
                a_role_change_is_stored_and_returned(users),
                changing_the_role_of_an_unknown_user_finds_nobody(users),
                only_a_current_admin_may_change_a_role_and_never_their_own(users),
                two_admins_demoting_each_other_at_once_leave_one_admin(users),
            });

            /// Properties over all the stores at once, each case on stores of its own.
            mod capacity {
                #[test]
                $(#[$attr])*
                fn no_sequence_of_bookings_and_settings_changes_overfills_a_slot() {
                    $crate::capacity::no_sequence_of_bookings_and_settings_changes_overfills_a_slot(
                        super::stores,
                        super::property_run(),
                    );
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    /// Every public scenario of a suite is in that suite's list in [`contract!`]: a scenario
    /// written and never run would pass unseen.
    #[test]
    fn every_scenario_is_listed_in_the_macro() {
        let lists = include_str!("lib.rs");
        let suites = [
            (
                "reservations",
                concat!(
                    include_str!("reservations/holds.rs"),
                    include_str!("reservations/life_cycle.rs"),
                    include_str!("reservations/keys_and_races.rs"),
                    include_str!("reservations/listings.rs"),
                ),
            ),
            ("catalog", include_str!("catalog.rs")),
            ("ledger", include_str!("ledger.rs")),
            ("sent_log", include_str!("sent_log.rs")),
            ("settings", include_str!("settings.rs")),
            ("throttle", include_str!("throttle.rs")),
            ("users", include_str!("users.rs")),
        ];
        for (suite, text) in suites {
            let header = format!("$arm {suite} {{");
            let start = lists
                .find(&header)
                .unwrap_or_else(|| panic!("no list for {suite}"));
            let list = &lists[start..start + lists[start..].find("});").unwrap()];
            let scenarios: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("pub async fn "))
                .map(|rest| rest.split('(').next().unwrap())
                .collect();
            assert!(!scenarios.is_empty(), "{suite}");
            for name in scenarios {
                assert!(
                    list.contains(&format!("{name}(")),
                    "{suite}::{name} is not in contract!'s list"
                );
            }
        }
    }
}
