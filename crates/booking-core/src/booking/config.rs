//! The tunables of the booking rules, read from the environment once per process.

use jiff::SignedDuration;

use crate::ports::HoldLimits;

/// Tunables of the booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingConfig {
    /// How long a slot stays held while the payment runs.
    pub hold_ttl: SignedDuration,
    pub limits: HoldLimits,
}

impl Default for BookingConfig {
    fn default() -> Self {
        BookingConfig {
            hold_ttl: SignedDuration::from_mins(5),
            limits: HoldLimits {
                max_active_holds: 3,
                max_upcoming: 10,
            },
        }
    }
}

impl BookingConfig {
    /// Reads `BOOKING_HOLD_TTL_SECONDS`, `BOOKING_MAX_ACTIVE_HOLDS` and
    /// `BOOKING_MAX_UPCOMING` through `var`, defaulting each; an unusable value is an error
    /// naming the variable, reported once at start-up.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let d = BookingConfig::default();
        let num = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match var(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| format!("{name} must be a whole number in {range:?}")),
        };
        let ttl = num("BOOKING_HOLD_TTL_SECONDS", 300, 30..=3600)?;
        let holds = num(
            "BOOKING_MAX_ACTIVE_HOLDS",
            d.limits.max_active_holds as u64,
            1..=100,
        )?;
        let upcoming = num(
            "BOOKING_MAX_UPCOMING",
            d.limits.max_upcoming as u64,
            1..=1000,
        )?;
        Ok(BookingConfig {
            hold_ttl: SignedDuration::from_secs(ttl.cast_signed()),
            limits: HoldLimits {
                max_active_holds: usize::try_from(holds).unwrap_or(usize::MAX),
                max_upcoming: usize::try_from(upcoming).unwrap_or(usize::MAX),
            },
        })
    }
}
