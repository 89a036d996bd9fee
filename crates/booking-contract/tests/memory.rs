//! Every contract suite over booking-core's in-memory adapters, in every `cargo test`:
//! `memory::<suite>::<scenario>`.

booking_contract::contract! {
    memory => || async { booking_contract::Stores::memory() }
}
