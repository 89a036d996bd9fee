//! The JWT signing secret from AWS Secrets Manager, fetched once per cold start.

use aws_sdk_secretsmanager::Client;

/// The secret string stored under `arn`, as bytes.
pub async fn fetch(sdk: &aws_config::SdkConfig, arn: &str) -> anyhow::Result<Vec<u8>> {
    let out = Client::new(sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await?;
    let secret = out
        .secret_string()
        .ok_or_else(|| anyhow::anyhow!("secret {arn} has no string value"))?;
    Ok(secret.as_bytes().to_vec())
}
