//! Identifier newtypes. User ids and group ids share one id space (see [`crate::IdGenerator`]),
//! so a conversation id is either a user id or a group id.

use std::fmt;

/// The tenant: every row and every request belongs to exactly one app.
///
/// An app id is 1 to 32 characters of ASCII letters, digits, `-` or `_`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(String);

/// The text given is not a valid app id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("app_id must be 1 to 32 letters, digits, '-' or '_'")]
pub struct InvalidAppId;

impl AppId {
    /// Parses an app id.
    ///
    /// # Errors
    /// [`InvalidAppId`] when the text is empty, longer than 32 characters or holds other characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidAppId> {
        let ok = !raw.is_empty()
            && raw.len() <= 32
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidAppId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user, unique across apps (ids come from one generator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl UserId {
    /// The sender of a system message sent by the app itself (an admin token naming no
    /// sender): no user has this id, and it has no inbox.
    pub const SYSTEM: UserId = UserId(0);
}

/// A group; shares the id space of [`UserId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub i64);

/// The serial number of one of a user's devices, assigned by the server from 1 upwards.
/// `0` stands for the user as a whole (no particular device).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DeviceSn(pub i64);

impl DeviceSn {
    /// The user as a whole rather than one device.
    pub const NONE: DeviceSn = DeviceSn(0);

    pub fn is_device(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_accept_letters_digits_dash_and_underscore() {
        assert!(AppId::parse("welovemaxim").is_ok());
        assert!(AppId::parse("a-b_C9").is_ok());
    }

    #[test]
    fn app_ids_refuse_empty_long_and_odd_characters() {
        assert_eq!(AppId::parse(""), Err(InvalidAppId));
        assert_eq!(AppId::parse(&"a".repeat(33)), Err(InvalidAppId));
        assert_eq!(AppId::parse("a b"), Err(InvalidAppId));
        assert_eq!(AppId::parse("app/1"), Err(InvalidAppId));
    }

    #[test]
    fn device_sn_zero_is_the_user_as_a_whole() {
        assert!(!DeviceSn::NONE.is_device());
        assert!(DeviceSn(1).is_device());
    }
}
