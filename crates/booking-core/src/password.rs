//! Password policy and argon2id hashing with OWASP's parameters (m = 19 MiB, t = 2, p = 1).

use std::{collections::HashSet, sync::LazyLock};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt},
};

use crate::{Error, FieldError, user::Email};

const MIN_CHARS: usize = 10;

/// A password as it came in, before any check: never shown, `Debug` prints `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

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

fn params() -> Params {
    // The parameters are constants within argon2's documented bounds.
    #[allow(clippy::unwrap_used)]
    Params::new(19 * 1024, 2, 1, None).unwrap()
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// The working memory of one argon2 run with our parameters (19 MiB). Each hashing slot
/// keeps one and reuses it ([`crate::hashing::HashPool`]): allocating and freeing 19 MiB
/// per request leaves the freed blocks in glibc's per-thread arenas, and a burst of 64
/// logins grew the process by 600-800 MiB even with two hashes at a time.
pub struct Memory(Vec<Block>);

impl Memory {
    pub fn new() -> Self {
        Memory(vec![Block::new(); params().block_count()])
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memory({} KiB)", self.0.len())
    }
}

impl Default for Memory {
    fn default() -> Self {
        Memory::new()
    }
}

fn hashing_failed(e: impl std::fmt::Display) -> Error {
    Error::Store(format!("argon2 hashing failed: {e}").into())
}

/// Hashes with a fresh random salt into a PHC string. CPU-heavy: call it off the async
/// executor, through the hashing pool.
pub fn hash(password: &Password, memory: &mut Memory) -> Result<PasswordHash, Error> {
    let salt = Salt::generate();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hasher()
        .hash_password_into_with_memory(
            password.expose().as_bytes(),
            &salt,
            &mut out,
            &mut memory.0,
        )
        .map_err(hashing_failed)?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(hashing_failed)?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(hashing_failed)?),
    };
    Ok(PasswordHash(phc.to_string()))
}

/// Checks a candidate password against a stored PHC string, with the algorithm, version
/// and parameters it names (a hash made with other parameters gets memory of its own);
/// the outputs are compared in constant time. A malformed stored hash is a mismatch.
pub fn verify(candidate: &str, stored: &PasswordHash, memory: &mut Memory) -> bool {
    let Ok(phc) = Phc::new(stored.as_str()) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(phc.algorithm.as_str()),
        Params::try_from(&phc),
    ) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let ran = if blocks == memory.0.len() {
        argon.hash_password_into_with_memory(candidate.as_bytes(), salt, &mut out, &mut memory.0)
    } else {
        argon.hash_password_into(candidate.as_bytes(), salt, &mut out)
    };
    ran.is_ok() && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// A hash of a random password, used to spend the same time on unknown emails as on
/// known ones so that login timing does not reveal which emails are registered.
static DUMMY: LazyLock<Option<PasswordHash>> = LazyLock::new(|| {
    let raw = Password(ulid::Ulid::generate().to_string());
    hash(&raw, &mut Memory::new()).ok()
});

/// Burns one verification's worth of time; always false.
pub fn verify_dummy(candidate: &str, memory: &mut Memory) {
    if let Some(dummy) = DUMMY.as_ref() {
        let _ = verify(candidate, dummy, memory);
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
        let mut memory = Memory::new();
        let h = hash(&pw, &mut memory).unwrap();
        assert!(
            h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.as_str()
        );
        assert!(verify("correct horse battery", &h, &mut memory));
        assert!(!verify("correct horse batterY", &h, &mut memory));
        assert!(!verify(
            "x",
            &PasswordHash::from_phc("garbage".into()),
            &mut memory
        ));
    }

    #[test]
    fn a_hash_made_by_the_argon2_crate_itself_verifies_and_so_do_other_parameters() {
        use argon2::password_hash::PasswordHasher;
        // Given a hash made the way accounts were hashed before slots kept their memory
        let phc = hasher().hash_password(b"correct horse battery").unwrap();
        let stored = PasswordHash::from_phc(phc.to_string());
        let mut memory = Memory::new();
        assert!(verify("correct horse battery", &stored, &mut memory));
        assert!(!verify("correct horse batterx", &stored, &mut memory));
        // And one with other parameters (m = 8 MiB) verifies with memory of its own
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let other =
            PasswordHash::from_phc(small.hash_password(b"x y z w v u").unwrap().to_string());
        assert!(verify("x y z w v u", &other, &mut memory));
        assert!(!verify("x y z w v", &other, &mut memory));
    }
}
