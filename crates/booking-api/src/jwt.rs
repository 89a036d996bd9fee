//! Access tokens: HS256 JWTs with `sub`, `role`, `iss`, `aud`, `exp`, `iat` and `nbf`. The
//! secret comes from configuration, is at least 32 bytes and is never logged.

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use booking_core::{ids::UserId, user::User};

pub const MIN_SECRET_BYTES: usize = 32;

/// Why a JWT configuration is unusable; reported once, at start-up.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Token settings, read once per process.
#[derive(Clone)]
pub struct JwtConfig {
    secret: Vec<u8>,
    pub issuer: String,
    pub audience: String,
    pub ttl: SignedDuration,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl JwtConfig {
    pub fn new(
        secret: Vec<u8>,
        issuer: String,
        audience: String,
        ttl: SignedDuration,
    ) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError(format!(
                "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        if ttl < SignedDuration::from_secs(60) || ttl > SignedDuration::from_hours(24) {
            return Err(ConfigError(
                "JWT_TTL_SECONDS must be between 60 and 86400".into(),
            ));
        }
        Ok(JwtConfig {
            secret,
            issuer,
            audience,
            ttl,
        })
    }

    /// Reads `JWT_SECRET`, `JWT_ISSUER`, `JWT_AUDIENCE` and `JWT_TTL_SECONDS` through `var`
    /// (the process environment in production). `fallback_secret` is used when `JWT_SECRET`
    /// is unset: booking-local passes a random one, the Lambda functions pass none.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        fallback_secret: Option<Vec<u8>>,
    ) -> Result<Self, ConfigError> {
        let secret = match var("JWT_SECRET") {
            Some(s) => s.into_bytes(),
            None => fallback_secret.ok_or_else(|| ConfigError("JWT_SECRET is not set".into()))?,
        };
        let ttl = match var("JWT_TTL_SECONDS") {
            Some(s) => s
                .parse::<i64>()
                .map(SignedDuration::from_secs)
                .map_err(|_| {
                    ConfigError("JWT_TTL_SECONDS must be a whole number of seconds".into())
                })?,
            None => SignedDuration::from_hours(1),
        };
        JwtConfig::new(
            secret,
            var("JWT_ISSUER").unwrap_or_else(|| "booking-api".into()),
            var("JWT_AUDIENCE").unwrap_or_else(|| "booking-clients".into()),
            ttl,
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    /// Not before (RFC 7519 4.1.5); optional, as tokens issued before it was added lack it.
    #[serde(default)]
    nbf: Option<i64>,
}

/// Signs and verifies tokens; build once per process.
pub struct Jwt {
    config: JwtConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused; all of them become the same 401 for the client.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
    /// Its `nbf` is still ahead of the clock.
    NotYetValid,
}

impl Jwt {
    pub fn new(config: JwtConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry and not-before are checked against the injected clock below, so tests
        // control time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Jwt {
            encoding: EncodingKey::from_secret(&config.secret),
            decoding: DecodingKey::from_secret(&config.secret),
            validation,
            config,
        }
    }

    /// A token for `user`, valid from `now` for the configured lifetime.
    pub fn issue(
        &self,
        user: &User,
        now: Timestamp,
    ) -> Result<(String, Timestamp), jsonwebtoken::errors::Error> {
        let expires = now + self.config.ttl;
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.as_str().to_owned(),
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            exp: expires.as_second(),
            iat: now.as_second(),
            nbf: Some(now.as_second()),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    /// The user id of a token signed with our key for our audience, valid at `now`: not
    /// before its `nbf`, before its `exp`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<UserId, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.nbf.is_some_and(|nbf| nbf > now.as_second()) {
            return Err(TokenError::NotYetValid);
        }
        if data.claims.exp <= now.as_second() {
            return Err(TokenError::Expired);
        }
        UserId::parse("sub", &data.claims.sub).map_err(|_| TokenError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::{
        password::PasswordHash,
        user::{Email, Role},
    };

    fn jwt_with(secret: &[u8], iss: &str, aud: &str) -> Jwt {
        Jwt::new(
            JwtConfig::new(
                secret.to_vec(),
                iss.into(),
                aud.into(),
                SignedDuration::from_hours(1),
            )
            .unwrap(),
        )
    }

    fn jwt() -> Jwt {
        jwt_with(&[7; 32], "iss", "aud")
    }

    fn user() -> User {
        User {
            id: UserId::new(),
            email: Email::parse("a@example.com").unwrap(),
            name: "A".into(),
            role: Role::Admin,
            password_hash: PasswordHash::from_phc("x".into()),
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn now() -> Timestamp {
        "2026-11-28T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_to_its_user() {
        let u = user();
        let (token, exp) = jwt().issue(&u, now()).unwrap();
        assert_eq!(exp, now() + SignedDuration::from_hours(1));
        assert_eq!(jwt().verify(&token, now()), Ok(u.id));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let (token, exp) = jwt().issue(&user(), now()).unwrap();
        assert_eq!(jwt().verify(&token, exp), Err(TokenError::Expired));
    }

    /// A token signed with `jwt()`'s key whose claims are exactly `claims`.
    fn signed(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[7; 32]),
        )
        .unwrap()
    }

    #[test]
    fn a_token_is_refused_before_its_nbf_and_accepted_from_it() {
        // Given a token of ours that becomes valid one minute after now
        let id = UserId::new();
        let nbf = now() + SignedDuration::from_mins(1);
        let token = signed(serde_json::json!({
            "sub": id.to_string(), "role": "customer", "iss": "iss", "aud": "aud",
            "iat": now().as_second(), "nbf": nbf.as_second(),
            "exp": (now() + SignedDuration::from_hours(1)).as_second(),
        }));
        // When it is presented now, then it is not valid yet
        assert_eq!(jwt().verify(&token, now()), Err(TokenError::NotYetValid));
        assert_eq!(
            jwt().verify(&token, nbf - SignedDuration::from_secs(1)),
            Err(TokenError::NotYetValid)
        );
        // When the clock reaches its nbf, then it verifies
        assert_eq!(jwt().verify(&token, nbf), Ok(id));
    }

    #[test]
    fn an_issued_token_is_valid_from_its_issue_time_and_a_token_without_nbf_still_verifies() {
        // Given a token we issue now, and one signed without nbf (as issued before it)
        let u = user();
        let (issued, _) = jwt().issue(&u, now()).unwrap();
        let without_nbf = signed(serde_json::json!({
            "sub": u.id.to_string(), "role": "admin", "iss": "iss", "aud": "aud",
            "iat": now().as_second(),
            "exp": (now() + SignedDuration::from_hours(1)).as_second(),
        }));
        // When they are presented, then ours carries nbf = iat and both verify from now on
        let jwt = jwt();
        let claims = jsonwebtoken::decode::<Claims>(&issued, &jwt.decoding, &jwt.validation)
            .unwrap()
            .claims;
        assert_eq!(claims.nbf, Some(claims.iat));
        assert_eq!(
            jwt.verify(&issued, now() - SignedDuration::from_secs(1)),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(jwt.verify(&issued, now()), Ok(u.id));
        assert_eq!(jwt.verify(&without_nbf, now()), Ok(u.id));
    }

    #[test]
    fn tokens_from_another_key_issuer_or_audience_are_refused() {
        let (token, _) = jwt().issue(&user(), now()).unwrap();
        assert_eq!(
            jwt_with(&[8; 32], "iss", "aud").verify(&token, now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            jwt_with(&[7; 32], "other", "aud").verify(&token, now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            jwt_with(&[7; 32], "iss", "other").verify(&token, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_tampered_or_unsigned_token_is_refused() {
        let (token, _) = jwt().issue(&user(), now()).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        // alg: none with the original claims and no signature
        let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert_eq!(jwt().verify(&unsigned, now()), Err(TokenError::Invalid));
        // claims swapped for another token's, signature kept
        let (other, _) = jwt().issue(&user(), now()).unwrap();
        let other_claims = other.split('.').nth(1).unwrap().to_owned();
        parts[1] = &other_claims;
        assert_eq!(
            jwt().verify(&parts.join("."), now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(jwt().verify("not.a.jwt", now()), Err(TokenError::Invalid));
    }

    #[test]
    fn a_short_secret_or_missing_secret_is_a_config_error() {
        let vars = |_: &str| None;
        assert!(JwtConfig::from_vars(vars, None).is_err());
        assert!(
            JwtConfig::from_vars(|k: &str| (k == "JWT_SECRET").then(|| "short".into()), None)
                .is_err()
        );
        let ok = JwtConfig::from_vars(vars, Some(vec![1; 32])).unwrap();
        assert_eq!(
            (ok.issuer.as_str(), ok.ttl),
            ("booking-api", SignedDuration::from_hours(1))
        );
        assert!(
            !format!("{ok:?}").contains("[1, 1"),
            "the secret must not be printed"
        );
    }
}
