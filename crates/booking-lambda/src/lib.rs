//! The Lambda functions' composition root: each function's `main.rs` asks this crate for
//! exactly the state it serves ([`env::Aws::auth_state`], [`env::Aws::booking`], ...), so a
//! port a function is not given is a compile error, and hands it to [`http::serve`] or to
//! lambda_runtime with the task glue of [`task`]. The adapters themselves live in
//! booking-aws, which knows nothing of HTTP.

pub mod env;
pub mod http;
pub mod task;
