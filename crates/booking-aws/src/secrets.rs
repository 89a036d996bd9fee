//! The JWT signing secret from AWS Secrets Manager, fetched once per cold start.

use aws_sdk_secretsmanager::Client;

/// The secret to fetch at cold start: `JWT_SECRET_ARN`'s, unless `JWT_SECRET` is set. That
/// one wins (README), so a function given its key directly neither waits for Secrets
/// Manager nor fails to start when it cannot be reached.
pub fn jwt_secret_arn(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    match var("JWT_SECRET") {
        Some(_) => None,
        None => var("JWT_SECRET_ARN"),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(set: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let set: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| set.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt";

    #[test]
    fn the_secret_is_fetched_by_its_arn_when_no_jwt_secret_is_set() {
        // Given only the ARN the template sets, then that secret is fetched
        assert_eq!(
            jwt_secret_arn(vars(&[("JWT_SECRET_ARN", ARN)])).as_deref(),
            Some(ARN)
        );
    }

    #[test]
    fn a_set_jwt_secret_wins_and_nothing_is_fetched() {
        // Given both the ARN and the secret itself, then Secrets Manager is not asked
        let both = vars(&[("JWT_SECRET_ARN", ARN), ("JWT_SECRET", "a key of 32 bytes")]);
        assert_eq!(jwt_secret_arn(both), None);
        // And with neither, nothing is fetched either (JwtConfig then reports the gap)
        assert_eq!(jwt_secret_arn(vars(&[])), None);
    }
}
