//! The SDK configuration every AWS adapter is built from: the standard sources
//! (environment, profile, the Lambda role) with an HTTPS client on rustls and ring.
//! Endpoints come from the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
//! variables, so the local cloud needs no special code path.

use aws_config::{BehaviorVersion, SdkConfig};

/// The SDK configuration from the standard sources (environment, profile, the Lambda role),
/// with the HTTPS client of [`crate::tls`] (rustls on ring, AWS's roots compiled in).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::tls::aws_http_client())
        .load()
        .await
}
