//! Integers a client may write as JSON numbers or as strings of digits.
//!
//! Ids are 64-bit and above 2^53, where a JavaScript number loses digits; a browser client
//! can only send them exactly as strings (`"386100998369705984"`). Every integer field of a
//! request body, query or WebSocket frame takes either form, through these
//! `#[serde(deserialize_with = …)]` functions. Answers still carry numbers (docs/DECISIONS.md
//! says how JavaScript clients read them).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// One integer, from a number or a string.
struct Lenient(i64);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor).map(Lenient)
    }
}

struct LenientVisitor;

impl Visitor<'_> for LenientVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("{v:?} is not an integer")))
    }
}

/// `i64`.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Lenient::deserialize(d).map(|l| l.0)
}

/// `Option<i64>` (with `#[serde(default)]`: absent or null is `None`).
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Lenient>::deserialize(d).map(|o| o.map(|l| l.0))
}

/// `Vec<i64>`.
pub(crate) fn ints<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Vec::<Lenient>::deserialize(d).map(|v| v.into_iter().map(|l| l.0).collect())
}

/// `Option<Vec<i64>>` (with `#[serde(default)]`).
pub(crate) fn opt_ints<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Option::<Vec<Lenient>>::deserialize(d).map(|o| o.map(|v| v.into_iter().map(|l| l.0).collect()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(deserialize_with = "super::int")]
        id: i64,
        #[serde(default, deserialize_with = "super::opt_int")]
        maybe: Option<i64>,
        #[serde(deserialize_with = "super::ints")]
        list: Vec<i64>,
    }

    #[test]
    fn numbers_and_strings_of_digits_are_the_same_integer() -> Result<(), serde_json::Error> {
        let big = 386_100_998_369_705_984_i64;
        let from_numbers: Body = serde_json::from_str(&format!(
            r#"{{"id": {big}, "maybe": 7, "list": [{big}, 2]}}"#
        ))?;
        let from_strings: Body = serde_json::from_str(&format!(
            r#"{{"id": "{big}", "maybe": " 7 ", "list": ["{big}", 2]}}"#
        ))?;
        assert_eq!(from_numbers, from_strings);
        assert_eq!(from_strings.id, big);
        let absent: Body = serde_json::from_str(r#"{"id": 1, "list": []}"#)?;
        assert_eq!(absent.maybe, None);
        let null: Body = serde_json::from_str(r#"{"id": 1, "maybe": null, "list": []}"#)?;
        assert_eq!(null.maybe, None);
        for bad in [
            r#"{"id": "12x", "list": []}"#,
            r#"{"id": 1.5, "list": []}"#,
            r#"{"id": 18446744073709551615, "list": []}"#,
            r#"{"id": true, "list": []}"#,
        ] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[derive(Deserialize)]
    struct Query {
        #[serde(deserialize_with = "super::int")]
        id: i64,
        #[serde(default, deserialize_with = "super::opt_int")]
        maybe: Option<i64>,
    }

    #[test]
    fn query_strings_parse_too() -> Result<(), actix_web::error::QueryPayloadError> {
        let q = actix_web::web::Query::<Query>::from_query("id=42&maybe=3")?;
        assert_eq!((q.id, q.maybe), (42, Some(3)));
        let q = actix_web::web::Query::<Query>::from_query("id=42")?;
        assert_eq!(q.maybe, None);
        Ok(())
    }
}
