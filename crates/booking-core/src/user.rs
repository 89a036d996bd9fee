//! Users: who they are, how they are reached and what they may do.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Error, FieldError, ids::UserId, password::PasswordHash};

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |reason: &str| FieldError::new("email", reason);
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(bad("is required"));
        }
        if s.len() > 254 {
            return Err(bad("must be at most 254 characters long"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(bad("must contain an @"));
        };
        let ok_local = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !ok_local {
            return Err(bad("has an invalid part before the @"));
        }
        let ok_domain = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !ok_domain {
            return Err(bad("has an invalid domain"));
        }
        Ok(Email(s))
    }
}

parsed_string!(Email, Email::parse);

/// What a user may do: customers book, staff run the day, admins manage everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Customer, Role::Staff, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s {
            "customer" => Ok(Role::Customer),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            _ => Err(FieldError::new(
                field,
                "must be one of customer, staff, admin",
            )),
        }
    }
}

/// A display name: trimmed, 1 to 100 characters, no control characters.
pub fn parse_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if s.chars().count() > 100 {
        return Err(FieldError::new(
            field,
            "must be at most 100 characters long",
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: PasswordHash,
    pub created_at: Timestamp,
}

/// Whether `actor` may change `target`'s role: only a current admin may, and never their
/// own role. Stores apply it to both users as read in the same atomic step as the write, so
/// two admins demoting each other at once cannot both succeed, and the actor (an admin who
/// keeps that role) guarantees that at least one admin remains after every change.
pub fn check_role_change(actor: Option<&User>, target: &User) -> Result<(), Error> {
    if !actor.is_some_and(|a| a.role == Role::Admin) {
        return Err(Error::Forbidden);
    }
    if actor.is_some_and(|a| a.id == target.id) {
        return Err(Error::Conflict {
            field: "id",
            reason: "you cannot change your own role".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@localhost",
            "a..b@example.com",
            "ana@exa mple.com",
            "ana@-example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn roles_parse_only_from_their_names() {
        assert_eq!(Role::parse("role", "admin").unwrap(), Role::Admin);
        assert!(Role::parse("role", "root").is_err());
    }

    #[test]
    fn a_blank_name_is_rejected() {
        assert!(parse_name("name", "   ").is_err());
        assert_eq!(parse_name("name", " Ana ").unwrap(), "Ana");
    }
}
