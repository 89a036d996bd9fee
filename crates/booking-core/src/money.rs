//! Money as integer minor units and an ISO 4217 currency; never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Active ISO 4217 codes this product accepts, with their minor-unit exponent.
/// (A subset: the currencies of the markets we sell to; extend the table to add one.)
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("UYU", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// An ISO 4217 currency code known to [`CURRENCIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(&'static str);

impl Currency {
    pub fn parse(field: &str, code: &str) -> Result<Self, FieldError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Currency(c))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "must be an upper-case ISO 4217 code such as EUR or USD",
                )
            })
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Every currency this product accepts, by code.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|(c, _)| Currency(c))
    }

    /// Digits after the decimal point (EUR 2, JPY 0, KWD 3).
    pub fn exponent(self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map_or(2, |(_, e)| *e)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::deserialize_parsed(d, |s| Currency::parse("currency", s))
    }
}

/// An amount in a currency's minor units (cents for EUR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// The amount as a decimal string in major units ("12.50" for 1250 EUR cents).
    pub fn to_decimal_string(self) -> String {
        let exp = u32::from(self.currency.exponent());
        if exp == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exp as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_or_unknown_codes_are_rejected() {
        assert!(Currency::parse("currency", "eur").is_err());
        assert!(Currency::parse("currency", "XXX").is_err());
        assert_eq!(Currency::parse("currency", "EUR").unwrap().code(), "EUR");
    }

    #[test]
    fn decimals_follow_the_currency_exponent() {
        let eur = Currency::parse("c", "EUR").unwrap();
        let jpy = Currency::parse("c", "JPY").unwrap();
        let kwd = Currency::parse("c", "KWD").unwrap();
        assert_eq!(
            Money {
                minor: 1250,
                currency: eur
            }
            .to_decimal_string(),
            "12.50"
        );
        assert_eq!(
            Money {
                minor: -5,
                currency: eur
            }
            .to_decimal_string(),
            "-0.05"
        );
        assert_eq!(
            Money {
                minor: 1250,
                currency: jpy
            }
            .to_decimal_string(),
            "1250"
        );
        assert_eq!(
            Money {
                minor: 1250,
                currency: kwd
            }
            .to_decimal_string(),
            "1.250"
        );
    }
}
