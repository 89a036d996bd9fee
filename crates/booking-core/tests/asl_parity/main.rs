//! The workflows' one definition is `statemachine/*.asl.json`: AWS Step Functions runs the
//! files, and so does [`InProcessWorkflow`], through `booking_core::asl`. These tests check
//! that the files are ones the runner executes in full (every state, field and Resource
//! supported), the project's rules for them (a catch-all and a timeout on every Task, only
//! the three substitutions, the docs' retry table), and, over scripted task outcomes, that
//! every scenario takes the path through the states it must: a retried Task once per
//! attempt, the tasks called with the right arguments (the JSON paths carry the original
//! error to Release and Revoke, Capture's notification with the charge to the queue, and
//! Authorize's client secret to the end), the right end.
//!
//! - `scripted`: the tasks and the queue, their outcomes scripted per call;
//! - `lambda`: a Lambda service in front of them, for the faults only AWS raises;
//! - `runs`: a run through the interpreter or the in-process runner, in comparable form;
//! - `booking_paths`, `cancel_paths`: the scenarios of each workflow;
//! - `files`: the ASL files themselves and the docs' retry table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/paths.rs"]
mod paths;

mod booking_paths;
mod cancel_paths;
mod files;
mod lambda;
mod runs;
mod scripted;
