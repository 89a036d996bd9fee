//! The ASL files as files: every state supported, the project's rules for Tasks, Choices,
//! queues and substitutions, and the docs' retry table generated from them.

use std::{collections::BTreeSet, fmt::Write as _};

use booking_core::{
    asl::{self, State, StateMachine},
    workflow::{SQS_SEND_MESSAGE, booking_state_machine, cancel_state_machine, check_resources},
};
use serde_json::Value;

const BOOKING_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/booking.asl.json"
);
const CANCEL_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/cancel.asl.json"
);
const WORKFLOWS_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/workflows.md");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn machines() -> [(&'static str, &'static StateMachine); 2] {
    [
        ("booking", booking_state_machine()),
        ("cancel", cancel_state_machine()),
    ]
}

#[test]
fn the_asl_files_parse_and_every_state_is_supported() {
    // Parsing refuses any state type, field, path or Choice rule the interpreter does not
    // execute, a transition to no state and an unreachable state.
    for (path, file) in [BOOKING_ASL, CANCEL_ASL].iter().zip(machines()) {
        let machine = StateMachine::parse(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&machine, file.1, "{path}: what the runner executes");
        check_resources(&machine).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(machine.reachable().len(), machine.states.len(), "{path}");
        assert!(
            machine.comment.as_deref().is_some_and(|c| !c.is_empty()),
            "{path}: Comment"
        );
    }
}

#[test]
fn every_task_has_one_catch_all_and_a_timeout() {
    for (file, machine) in machines() {
        for (name, state) in &machine.states {
            let State::Task(task) = state else { continue };
            // A Task's error always goes on to a compensation or an end, never out of the
            // execution unhandled.
            assert_eq!(task.catch.len(), 1, "{file}/{name}: one catcher");
            assert_eq!(task.catch[0].error_equals, [asl::ALL], "{file}/{name}");
            // Express workflows run for at most five minutes.
            let timeout = task
                .timeout_seconds
                .unwrap_or_else(|| panic!("{file}/{name}: TimeoutSeconds"));
            assert!(
                (1..=60).contains(&timeout),
                "{file}/{name}: TimeoutSeconds {timeout}"
            );
        }
    }
}

#[test]
fn the_queue_tasks_send_the_notification_to_the_notify_queue() {
    for path in [BOOKING_ASL, CANCEL_ASL] {
        let asl = load(path);
        for (name, state) in asl["States"].as_object().unwrap() {
            if state["Resource"] == SQS_SEND_MESSAGE {
                let params = &state["Parameters"];
                assert_eq!(params["QueueUrl"], "${NotifyQueueUrl}", "{path}/{name}");
                assert!(
                    params["MessageBody.$"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(".notification")),
                    "{path}/{name}: {params}"
                );
            }
        }
    }
}

#[test]
fn no_choice_tests_for_false() {
    // aws-local-stepfunctions 3.0.0, which runs these files in the local cloud, never
    // matches `"IsPresent": false` or `"IsNull": false`: write `"Not": {... true}` instead.
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(fields) => {
                for (key, v) in fields {
                    let is_test = key == "IsPresent" || key == "IsNull";
                    assert!(!(is_test && *v == false), "{path}: {key} false");
                    walk(v, path);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, path)),
            _ => {}
        }
    }
    for path in [BOOKING_ASL, CANCEL_ASL] {
        walk(&load(path), path);
    }
}

#[test]
fn the_definitions_substitute_only_the_function_arns_and_the_queue_url() {
    for path in [BOOKING_ASL, CANCEL_ASL] {
        let text = read(path);
        let names: BTreeSet<&str> = text
            .split("${")
            .skip(1)
            .map(|rest| rest.split_once('}').expect("a closed ${...}").0)
            .collect();
        let known = BTreeSet::from([
            "NotifyQueueUrl",
            "PayTaskFunctionArn",
            "ReserveTaskFunctionArn",
        ]);
        assert!(names.is_subset(&known), "{path}: {names:?}");
        assert!(names.contains("NotifyQueueUrl"), "{path}");
    }
}

const TABLE_START: &str = "<!-- retry table: generated from statemachine/*.asl.json, checked by \
                           crates/booking-core/tests/asl_parity/files.rs -->";
const TABLE_END: &str = "<!-- end of the retry table -->";

/// The Retry of every Task, one group of states per distinct Retry list, in the order the
/// files reach them.
fn retry_table() -> String {
    let mut groups: Vec<(Vec<&str>, &[asl::Retrier])> = Vec::new();
    for (_, machine) in machines() {
        for name in machine.reachable() {
            let State::Task(task) = &machine.states[name] else {
                continue;
            };
            match groups.iter_mut().find(|(_, retry)| *retry == task.retry) {
                Some((names, _)) => names.push(name),
                None => groups.push((vec![name], &task.retry)),
            }
        }
    }
    let mut table = String::from(
        "| states | ErrorEquals | MaxAttempts | IntervalSeconds | BackoffRate | \
         MaxDelaySeconds | JitterStrategy |\n|---|---|---|---|---|---|---|\n",
    );
    for (names, retry) in groups {
        for (i, r) in retry.iter().enumerate() {
            let states = if i == 0 {
                names.join(", ")
            } else {
                String::new()
            };
            let errors: Vec<String> = r.error_equals.iter().map(|e| format!("`{e}`")).collect();
            let max_delay = r.max_delay_seconds.map_or("-".into(), |s| s.to_string());
            let jitter = match r.jitter_strategy {
                asl::Jitter::None => "NONE",
                asl::Jitter::Full => "FULL",
            };
            writeln!(
                table,
                "| {states} | {} | {} | {} | {} | {max_delay} | {jitter} |",
                errors.join(", "),
                r.max_attempts,
                r.interval_seconds,
                r.backoff_rate,
            )
            .unwrap();
        }
    }
    table
}

#[test]
fn the_retry_table_in_the_docs_is_the_one_the_files_define() {
    let docs = read(WORKFLOWS_MD);
    let (_, rest) = docs
        .split_once(TABLE_START)
        .unwrap_or_else(|| panic!("docs/workflows.md: no line {TABLE_START}"));
    let (table, _) = rest
        .split_once(TABLE_END)
        .unwrap_or_else(|| panic!("docs/workflows.md: no line {TABLE_END}"));
    let expected = retry_table();
    assert!(
        table.trim() == expected.trim(),
        "docs/workflows.md: the retry table differs from the ASL files'; write it as\n\n{expected}"
    );
}
