//! MaxIM bodies that are not plain JSON objects: raw strings and optional JSON.

use actix_web::web;
use serde::de::DeserializeOwned;

use crate::maxim::error::ApiError;

/// A raw text body (`/user/private`, `/user/public`). A body that is a JSON string literal
/// (what JSON clients send) is unwrapped; anything else is taken as it is.
pub(crate) fn raw_text(body: &web::Bytes) -> Result<String, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_parameter("the body must be UTF-8 text"))?;
    if text.trim_start().starts_with('"')
        && let Ok(unquoted) = serde_json::from_str::<String>(text)
    {
        return Ok(unquoted);
    }
    Ok(text.to_owned())
}

/// A JSON body that may be absent (`DELETE /user/delete` with an admin token).
pub(crate) fn optional_json<T: DeserializeOwned>(body: &web::Bytes) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::bad_parameter(format!("invalid JSON body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_bodies_are_unwrapped_and_others_kept() -> Result<(), ApiError> {
        assert_eq!(
            raw_text(&web::Bytes::from_static(b"\"a \\\"b\\\"\""))?,
            "a \"b\""
        );
        assert_eq!(
            raw_text(&web::Bytes::from_static(b"plain {x}"))?,
            "plain {x}"
        );
        assert_eq!(
            raw_text(&web::Bytes::from_static(b"\"unterminated"))?,
            "\"unterminated"
        );
        assert!(raw_text(&web::Bytes::from_static(b"\xff")).is_err());
        Ok(())
    }

    #[test]
    fn empty_optional_bodies_are_none() -> Result<(), ApiError> {
        let none: Option<serde_json::Value> = optional_json(&web::Bytes::from_static(b"  "))?;
        assert!(none.is_none());
        let some: Option<serde_json::Value> = optional_json(&web::Bytes::from_static(b"{}"))?;
        assert!(some.is_some());
        assert!(optional_json::<serde_json::Value>(&web::Bytes::from_static(b"{")).is_err());
        Ok(())
    }
}
