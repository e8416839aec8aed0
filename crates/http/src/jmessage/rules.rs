//! Seed 003's string rules, checked at JMessage's edge in bytes of UTF-8 (the domain stores
//! what both surfaces allow): names (nickname, group and note names) at most 64 bytes without
//! line breaks, any other string at most 250, `extras` at most 512 once serialized.

use serde_json::{Map, Value};

use crate::jmessage::error::JmError;

const NAME_MAX_BYTES: usize = 64;
const OTHER_MAX_BYTES: usize = 250;
const EXTRAS_MAX_BYTES: usize = 512;
/// The longest username a lookup takes. Registering over JMessage allows 4–128 bytes of
/// `[A-Za-z0-9_.\-@]`; a lookup also finds users registered over MaxIM, whose names follow
/// MaxIM's rules (up to 64 characters, CJK included).
const LOOKUP_MAX_BYTES: usize = 256;

fn within(field: &str, value: &str, max: usize) -> Result<(), JmError> {
    if value.len() > max {
        return Err(JmError::bad_parameter(format!(
            "{field} must be at most {max} bytes"
        )));
    }
    Ok(())
}

/// A name field: at most 64 bytes, no line breaks.
pub(crate) fn name(field: &str, value: Option<String>) -> Result<Option<String>, JmError> {
    if let Some(v) = &value {
        within(field, v, NAME_MAX_BYTES)?;
        if v.contains(['\n', '\r']) {
            return Err(JmError::bad_parameter(format!(
                "{field} must not contain line breaks"
            )));
        }
    }
    Ok(value)
}

/// Any other string field: at most 250 bytes.
pub(crate) fn other(field: &str, value: Option<String>) -> Result<Option<String>, JmError> {
    if let Some(v) = &value {
        within(field, v, OTHER_MAX_BYTES)?;
    }
    Ok(value)
}

/// `extras`: a JSON object, at most 512 bytes serialized; returned serialized.
pub(crate) fn extras(value: Option<Map<String, Value>>) -> Result<Option<String>, JmError> {
    let Some(map) = value else {
        return Ok(None);
    };
    let text = Value::Object(map).to_string();
    within("extras", &text, EXTRAS_MAX_BYTES)?;
    Ok(Some(text))
}

/// A username to look up: 899003 when it could name no user.
pub(crate) fn lookup_name(raw: &str) -> Result<String, JmError> {
    if raw.is_empty() || raw.len() > LOOKUP_MAX_BYTES || raw.chars().any(char::is_control) {
        return Err(JmError::bad_parameter(format!("invalid username: {raw:?}")));
    }
    Ok(raw.to_owned())
}

/// Usernames to look up, each as [`lookup_name`].
pub(crate) fn lookup_names(raw: &[String]) -> Result<Vec<String>, JmError> {
    raw.iter().map(|n| lookup_name(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_bytes_of_utf8() {
        // 21 three-byte characters are 63 bytes; 22 are 66.
        assert!(name("nickname", Some("好".repeat(21))).is_ok());
        assert!(name("nickname", Some("好".repeat(22))).is_err());
        assert!(name("nickname", Some("a\nb".into())).is_err());
        assert!(other("region", Some("x".repeat(250))).is_ok());
        assert!(other("region", Some("x".repeat(251))).is_err());
        assert!(lookup_name("").is_err());
        assert!(lookup_name("李雷").is_ok());
    }

    #[test]
    fn extras_are_a_small_object() {
        let mut map = Map::new();
        map.insert("k".into(), Value::String("v".repeat(500)));
        assert!(extras(Some(map.clone())).is_ok());
        map.insert("l".into(), Value::String("v".repeat(10)));
        assert!(extras(Some(map)).is_err());
        assert_eq!(extras(None).ok(), Some(None));
    }
}
