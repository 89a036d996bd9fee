//! Retry and Catch: their entries, which one an error goes to, and how long a retry waits.

use serde::Deserialize;

use super::{ALL, RUNTIME, TASK_FAILED, TIMEOUT, definition::root, paths::Path};

/// One `Retry` entry. The defaults are the States Language's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Retrier {
    pub comment: Option<String>,
    pub error_equals: Vec<String>,
    #[serde(default = "one")]
    pub interval_seconds: u32,
    #[serde(default = "three")]
    pub max_attempts: u32,
    #[serde(default = "two")]
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u32>,
    #[serde(default)]
    pub jitter_strategy: Jitter,
}

/// `JitterStrategy`: spreads the retries of many executions failing at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Jitter {
    #[default]
    None,
    /// Each wait is drawn uniformly from zero to the backed-off interval.
    Full,
}

fn one() -> u32 {
    1
}
fn three() -> u32 {
    3
}
fn two() -> f64 {
    2.0
}

impl Retrier {
    /// The wait in seconds before retry number `retries + 1`: `IntervalSeconds` times
    /// `BackoffRate` per retry already made, at most `MaxDelaySeconds`, and with FULL
    /// jitter scaled by `random` (in `[0, 1)`).
    pub fn delay(&self, retries: u32, random: f64) -> f64 {
        let backed_off = f64::from(self.interval_seconds) * self.backoff_rate.powf(retries.into());
        let capped = self
            .max_delay_seconds
            .map_or(backed_off, |max| backed_off.min(f64::from(max)));
        match self.jitter_strategy {
            Jitter::None => capped,
            Jitter::Full => capped * random,
        }
    }
}

/// One `Catch` entry: where an error goes once its retries are used up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Catcher {
    pub comment: Option<String>,
    pub error_equals: Vec<String>,
    pub next: String,
    /// Where the error output (`{"Error", "Cause"}`) goes in the state's input.
    #[serde(default = "root")]
    pub result_path: Option<Path>,
}

/// The retries a Task has made so far, counted per retrier.
pub(super) struct Retries<'a> {
    retriers: &'a [Retrier],
    used: Vec<u32>,
}

impl<'a> Retries<'a> {
    pub(super) fn new(retriers: &'a [Retrier]) -> Self {
        Retries {
            retriers,
            used: vec![0; retriers.len()],
        }
    }

    /// After a failed attempt with `error`: the wait in seconds before the next attempt and
    /// the number of that retry, or none when the error goes on to the Catch. The first
    /// retrier naming the error applies, and each counts its own attempts: once its
    /// MaxAttempts are used up the error goes to the Catch, whatever a later retrier says.
    pub(super) fn next(&mut self, error: &str) -> Option<(f64, u32)> {
        let i = self
            .retriers
            .iter()
            .position(|r| error_matches(&r.error_equals, error))
            .filter(|&i| self.used[i] < self.retriers[i].max_attempts)?;
        let wait = self.retriers[i].delay(self.used[i], jitter_sample());
        self.used[i] += 1;
        Some((wait, self.used[i]))
    }
}

/// The first `Catch` entry that names `error`.
pub(super) fn catcher<'a>(catch: &'a [Catcher], error: &str) -> Option<&'a Catcher> {
    catch.iter().find(|c| error_matches(&c.error_equals, error))
}

/// Whether an `ErrorEquals` list names `error`.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    error != RUNTIME
        && error_equals
            .iter()
            .any(|e| e == error || e == ALL || (e == TASK_FAILED && error != TIMEOUT))
}

/// Each `ErrorEquals` of a Retry or Catch names an error, and `States.ALL` only alone in the
/// last one.
pub(super) fn check_error_lists<'a>(
    lists: impl ExactSizeIterator<Item = &'a Vec<String>>,
) -> Result<(), String> {
    let last = lists.len().saturating_sub(1);
    for (i, errors) in lists.enumerate() {
        let all = errors.iter().any(|e| e == ALL);
        if errors.is_empty() || (all && (errors.len() > 1 || i < last)) {
            return Err(
                "ErrorEquals must name an error, and States.ALL only alone in the last entry"
                    .into(),
            );
        }
    }
    Ok(())
}

/// A uniform sample in `[0, 1)` for FULL jitter, from the standard library's randomly
/// keyed hasher: jitter only spreads retries out, it needs no better randomness.
fn jitter_sample() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::asl::testing::{Script, error, one_task, run};

    #[tokio::test]
    async fn a_task_retries_what_its_retriers_name_up_to_their_max_attempts() {
        let machine = one_task(json!({"Retry": [
            {"ErrorEquals": ["Busy"], "MaxAttempts": 2},
            {"ErrorEquals": ["Never"], "MaxAttempts": 0}
        ]}));
        // Two retries clear a Busy task
        let script = Script::new([Err("Busy"), Err("Busy")]);
        let execution = run(&machine, json!({}), &script).await;
        assert_eq!(execution.output, Ok(json!({"done": "T"})));
        assert_eq!(execution.trace, ["T", "T", "T"]);
        // A third Busy fails; MaxAttempts 0 and unnamed errors are not retried
        for (outcomes, attempts, name) in [
            (vec![Err("Busy"); 3], 3, "Busy"),
            (vec![Err("Never")], 1, "Never"),
            (vec![Err("Other")], 1, "Other"),
        ] {
            let execution = run(&machine, json!({}), &Script::new(outcomes)).await;
            assert_eq!(error(&execution), name);
            assert_eq!(execution.trace.len(), attempts, "{name}");
        }
    }

    #[tokio::test]
    async fn the_first_retrier_naming_an_error_applies_and_counts_its_own_attempts() {
        // Given A retried once by the first retrier, the catch-all behind it unused
        let machine = one_task(json!({"Retry": [
            {"ErrorEquals": ["A"], "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}
        ]}));
        // When A, B (the catch-all), then A again fail
        let script = Script::new([Err("A"), Err("B"), Err("A")]);
        let execution = run(&machine, json!({}), &script).await;
        // Then the second A fails the task although the catch-all has retries left
        assert_eq!(error(&execution), "A");
        assert_eq!(execution.trace, ["T", "T", "T"]);
    }

    #[test]
    fn retry_waits_back_off_are_capped_by_max_delay_seconds_and_jittered() {
        let retrier = |v: Value| serde_json::from_value::<Retrier>(v).unwrap();
        let plain = retrier(json!({"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3}));
        let waits: Vec<f64> = (0..3).map(|n| plain.delay(n, 0.5)).collect();
        assert_eq!(waits, [2.0, 6.0, 18.0]);
        let capped = retrier(json!({"ErrorEquals": ["E"], "MaxDelaySeconds": 5}));
        let waits: Vec<f64> = (0..4).map(|n| capped.delay(n, 0.5)).collect();
        assert_eq!(waits, [1.0, 2.0, 4.0, 5.0], "the defaults: 1 s, x2");
        let jittered = retrier(json!({
            "ErrorEquals": ["E"], "MaxDelaySeconds": 5, "JitterStrategy": "FULL"
        }));
        assert_eq!(jittered.delay(3, 0.5), 2.5, "half of the capped 5 s");
        assert_eq!(jittered.delay(3, 0.0), 0.0);
        let sample = jitter_sample();
        assert!((0.0..1.0).contains(&sample), "{sample}");
    }

    #[tokio::test]
    async fn a_catch_puts_the_error_at_its_result_path_and_goes_to_its_next() {
        let machine = one_task(json!({"Catch": [
            {"ErrorEquals": ["Other"], "Next": "T"},
            {"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Caught"}
        ]}));
        let execution = run(&machine, json!({"a": 1}), &Script::new([Err("Declined")])).await;
        assert_eq!(execution.trace, ["T", "Caught"]);
        assert_eq!(
            execution.output,
            Ok(json!({"a": 1, "error": {"Error": "Declined", "Cause": "scripted Declined"}}))
        );
        // An error no catcher names fails the execution with it
        let execution = run(&machine, json!({}), &Script::new([Err("Lost")])).await;
        assert_eq!(error(&execution), "Lost");
    }

    #[test]
    fn states_all_matches_all_but_runtime_errors_and_task_failed_all_but_timeouts() {
        let names = |list: &[&str]| -> Vec<String> { list.iter().map(|&s| s.into()).collect() };
        assert!(error_matches(&names(&["A", "B"]), "B"));
        assert!(!error_matches(&names(&["A"]), "B"));
        assert!(error_matches(&names(&[ALL]), "B"));
        assert!(error_matches(&names(&[ALL]), TIMEOUT));
        assert!(!error_matches(&names(&[ALL]), RUNTIME));
        assert!(error_matches(&names(&[TASK_FAILED]), "B"));
        assert!(!error_matches(&names(&[TASK_FAILED]), TIMEOUT));
    }
}
