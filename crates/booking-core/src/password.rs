//! Password policy and argon2id hashing with OWASP's parameters (m = 19 MiB, t = 2, p = 1).

use std::{collections::HashSet, sync::LazyLock};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash as Phc},
};

use crate::{Error, FieldError, user::Email};

const MIN_CHARS: usize = 10;

/// The 1,000 most common passwords of SecLists (source and licence in `data/README.md`):
/// the first guesses of any attacker, whatever their length.
const COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

/// The list lower-cased, built on first use.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    COMMON_LIST
        .lines()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
});

/// Whether `raw`, trimmed and lower-cased, is on the list: a case change or a space typed
/// around it does not make a common password any less guessable.
fn is_common(raw: &str) -> bool {
    COMMON.contains(&raw.trim().to_lowercase())
}
/// Hashing cost grows with input; a cap keeps one request from buying minutes of CPU.
const MAX_BYTES: usize = 1024;

/// A password that passed the policy; never logged, never serialised.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, email: &Email) -> Result<Self, FieldError> {
        if raw.chars().count() < MIN_CHARS {
            return Err(FieldError::new(
                "password",
                "must be at least 10 characters long",
            ));
        }
        if raw.len() > MAX_BYTES {
            return Err(FieldError::new(
                "password",
                "must be at most 1024 bytes long",
            ));
        }
        // Blanks and control characters pass the length rule but are one keystroke repeated,
        // or invisible: nobody means them as a secret.
        if raw.chars().all(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                "password",
                "must not be only spaces or control characters",
            ));
        }
        if raw.trim().eq_ignore_ascii_case(email.as_str()) {
            return Err(FieldError::new("password", "must not be the email address"));
        }
        if is_common(raw) {
            return Err(FieldError::new("password", "is too common"));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(s: String) -> Self {
        PasswordHash(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants within argon2's documented bounds.
    #[allow(clippy::unwrap_used)]
    let params = Params::new(19 * 1024, 2, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes with a fresh random salt. CPU-heavy: call it off the async executor.
pub fn hash(password: &Password) -> Result<PasswordHash, Error> {
    hasher()
        .hash_password(password.expose().as_bytes())
        .map(|h| PasswordHash(h.to_string()))
        .map_err(|e| Error::Store(format!("argon2 hashing failed: {e}").into()))
}

/// Checks a candidate password; a malformed stored hash counts as a mismatch.
pub fn verify(candidate: &str, stored: &PasswordHash) -> bool {
    match Phc::new(stored.as_str()) {
        Ok(phc) => hasher().verify_password(candidate.as_bytes(), &phc).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, used to spend the same time on unknown emails as on
/// known ones so that login timing does not reveal which emails are registered.
static DUMMY: LazyLock<Option<PasswordHash>> = LazyLock::new(|| {
    let raw = ulid::Ulid::generate().to_string();
    hasher()
        .hash_password(raw.as_bytes())
        .ok()
        .map(|h| PasswordHash(h.to_string()))
});

/// Burns one verification's worth of time; always false.
pub fn verify_dummy(candidate: &str) {
    if let Some(dummy) = DUMMY.as_ref() {
        let _ = verify(candidate, dummy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("ana@example.com").unwrap()
    }

    #[test]
    fn a_short_password_is_rejected() {
        let err = Password::parse("123456789", &email()).unwrap_err();
        assert_eq!(err.field, "password");
    }

    fn reason(raw: &str) -> String {
        let err = Password::parse(raw, &email()).unwrap_err();
        assert_eq!(err.field, "password", "{raw:?}");
        err.reason
    }

    #[test]
    fn a_password_of_only_spaces_or_control_characters_is_refused() {
        // Given passwords long enough but made only of blanks and control characters
        for raw in [
            "          ",
            "\t\t\t\t\t\t\t\t\t\t",
            "\u{1}\u{2}\u{3}\u{7}\u{8}\u{1b}\u{7f}\u{0}\r\n",
            " \t \u{a0}\u{2003}\u{3000}\u{85} \t ",
        ] {
            // When they are parsed, then they are refused saying why
            assert_eq!(
                reason(raw),
                "must not be only spaces or control characters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case_or_surrounding_spaces() {
        // Given entries of the common-password list of at least 10 characters, as typed
        for raw in [
            "1234567890",
            "qwertyuiop",
            "QwertyUIOP",
            "  1q2w3e4r5t ",
            "1111111111",
        ] {
            // When they are parsed, then they are refused as too common
            assert_eq!(reason(raw), "is too common", "{raw:?}");
        }
    }

    #[test]
    fn every_entry_of_the_list_long_enough_to_pass_the_length_rule_is_too_common() {
        // Given the committed list (a thousand entries, most under 10 characters)
        let entries: Vec<&str> = COMMON_LIST.lines().filter(|l| !l.is_empty()).collect();
        assert!(entries.len() >= 1000, "{}", entries.len());
        for entry in entries {
            // When an entry is parsed, then a short one fails on length, any other as common
            let why = reason(entry);
            if entry.chars().count() >= MIN_CHARS {
                assert_eq!(why, "is too common", "{entry:?}");
            } else {
                assert_eq!(why, "must be at least 10 characters long", "{entry:?}");
            }
        }
    }

    #[test]
    fn a_long_uncommon_password_with_inner_spaces_is_accepted() {
        // Given a passphrase that is neither blank nor on the list, when it is parsed
        // Then it is accepted as typed
        let pw = Password::parse("  correct horse battery  ", &email()).unwrap();
        assert_eq!(pw.expose(), "  correct horse battery  ");
    }

    #[test]
    fn the_email_is_not_a_password() {
        assert!(Password::parse("ANA@example.com", &email()).is_err());
    }

    #[test]
    fn a_hash_is_argon2id_with_owasp_parameters_and_verifies_only_its_password() {
        let pw = Password::parse("correct horse battery", &email()).unwrap();
        let h = hash(&pw).unwrap();
        assert!(
            h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.as_str()
        );
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", &PasswordHash::from_phc("garbage".into())));
    }
}
