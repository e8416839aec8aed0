//! JMessage's query parameters: booleans in any case (`true`, `True`, `TRUE`), as clients
//! that format a language's own booleans send them (Python writes `True`).

use serde::de::{self, Deserialize, Deserializer};

/// A boolean query parameter, in any case.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let raw = String::deserialize(deserializer)?;
    if raw.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if raw.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(de::Error::custom(format!(
            "{raw:?} is neither true nor false"
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Q {
        #[serde(deserialize_with = "super::flag")]
        on: bool,
    }

    fn parse(query: &str) -> Option<bool> {
        actix_web::web::Query::<Q>::from_query(query)
            .ok()
            .map(|q| q.on)
    }

    #[test]
    fn booleans_are_read_in_any_case() {
        for (query, want) in [
            ("on=true", Some(true)),
            ("on=True", Some(true)),
            ("on=TRUE", Some(true)),
            ("on=false", Some(false)),
            ("on=False", Some(false)),
            ("on=1", None),
            ("on=yes", None),
            ("on=", None),
        ] {
            assert_eq!(parse(query), want, "{query}");
        }
    }
}
