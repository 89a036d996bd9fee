//! The SDK configuration every AWS adapter is built from: the standard sources
//! (environment, profile, the Lambda role) with an HTTPS client on rustls and ring.
//! Endpoints come from the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
//! variables, so the local cloud needs no special code path.

use aws_config::{BehaviorVersion, SdkConfig};

/// The SDK configuration from the standard sources (environment, profile, the Lambda role),
/// with an HTTPS client on rustls and ring.
pub async fn sdk_config() -> SdkConfig {
    use aws_smithy_http_client::{
        Builder,
        tls::{Provider, rustls_provider::CryptoMode},
    };
    let http = Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}
