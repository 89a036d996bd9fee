//! The Lambda functions' composition root: each function's `main.rs` calls one entry point
//! here ([`http::auth`], [`task::pay`], [`notify::notify`], ...), which builds exactly the state that function
//! serves ([`env::Aws::auth_state`], [`env::Aws::booking`], ...), so a port a function is not
//! given is a compile error, and runs it under lambda_http or lambda_runtime. The adapters
//! themselves live in booking-aws, which knows nothing of HTTP.

pub mod env;
pub mod http;
pub mod notify;
pub mod task;
