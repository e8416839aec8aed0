use tidings_kernel::{AppId, Timestamp, UserId};

use super::{PasswordHash, UserSettings};
use crate::UserError;

/// A login name: 1–64 characters of letters (any script, so CJK too), digits and `_`,
/// not all digits (so it can never be mistaken for a user id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Wraps a value read back from storage, where it was validated on the way in.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// # Errors
    /// [`UserError::InvalidInput`] when the rule above is broken.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let count = raw.chars().count();
        if count == 0 || count > 64 {
            return Err(UserError::invalid("username must be 1 to 64 characters"));
        }
        if !raw.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(UserError::invalid(
                "username may hold only letters, digits and '_'",
            ));
        }
        if raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(UserError::invalid("username must not be all digits"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 4–128 bytes (JMessage's limit; MaxIM names none). Every byte
/// counts: the hasher never truncates (see `BcryptHasher`).
pub struct Password(String);

/// The longest password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 128;

impl Password {
    /// # Errors
    /// [`UserError::InvalidInput`] outside 4–128 bytes.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        if raw.len() < 4 || raw.len() > MAX_PASSWORD_BYTES {
            return Err(UserError::invalid(format!(
                "password must be 4 to {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A mobile number: an optional `+` then 5–20 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mobile(String);

impl Mobile {
    /// Wraps a value read back from storage, where it was validated on the way in.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// # Errors
    /// [`UserError::InvalidInput`] when not of that form.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let digits = raw.strip_prefix('+').unwrap_or(raw);
        if (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(UserError::invalid(
                "mobile must be 5 to 20 digits, optionally after '+'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@` with text on both sides, a dot in the domain, at most 254 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Wraps a value read back from storage, where it was validated on the way in.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// # Errors
    /// [`UserError::InvalidInput`] when not of that form.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let ok = raw.len() <= 254
            && !raw.contains(char::is_whitespace)
            && raw.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@')
            });
        if ok {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(UserError::invalid("email is not a valid address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a free-text profile field against its limit in characters.
///
/// # Errors
/// [`UserError::InvalidInput`] naming the field when it is longer.
pub fn text_field(field: &str, value: String, max_chars: usize) -> Result<String, UserError> {
    if value.chars().count() > max_chars {
        Err(UserError::invalid(format!(
            "{field} must be at most {max_chars} characters"
        )))
    } else {
        Ok(value)
    }
}

/// The profile fields. `public_info` is visible to anyone, `private_info` only to the user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub nick_name: String,
    pub avatar: String,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
    pub description: String,
    pub public_info: String,
    pub private_info: String,
}

/// A user's gender, as JMessage keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Unknown = 0,
    Male = 1,
    Female = 2,
}

impl Gender {
    /// # Errors
    /// [`UserError::InvalidInput`] outside 0–2.
    pub fn from_code(code: i64) -> Result<Self, UserError> {
        Ok(match code {
            0 => Self::Unknown,
            1 => Self::Male,
            2 => Self::Female,
            _ => return Err(UserError::invalid("gender must be 0, 1 or 2")),
        })
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// A birthday: a calendar date, kept as `yyyy-MM-dd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Birthday(String);

impl Birthday {
    /// # Errors
    /// [`UserError::InvalidInput`] unless `raw` is a real date written `yyyy-MM-dd`.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(|d| Self(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| UserError::invalid("birthday must be a date written yyyy-MM-dd"))
    }

    /// Wraps a value read back from storage, where it was validated on the way in.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest signature, region and address, in bytes.
pub const DETAIL_MAX_BYTES: usize = 250;
/// The longest `extras`, in bytes.
pub const EXTRAS_MAX_BYTES: usize = 512;

/// What JMessage keeps about a user beyond MaxIM's profile. `None`: never set (JMessage
/// leaves such fields out of its answers); in a [`ProfileChange`], left as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Details {
    pub birthday: Option<Birthday>,
    pub gender: Option<Gender>,
    pub signature: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    /// A JSON object, as text (the surface that takes it checks that it is one).
    pub extras: Option<String>,
}

impl Details {
    /// Checks the text fields' lengths.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for a field over its limit.
    pub fn validate(self) -> Result<Self, UserError> {
        for (field, value, max) in [
            ("signature", &self.signature, DETAIL_MAX_BYTES),
            ("region", &self.region, DETAIL_MAX_BYTES),
            ("address", &self.address, DETAIL_MAX_BYTES),
            ("extras", &self.extras, EXTRAS_MAX_BYTES),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > max) {
                return Err(UserError::invalid(format!(
                    "{field} must be at most {max} bytes"
                )));
            }
        }
        Ok(self)
    }
}

/// A validated change to profile fields; `None` leaves a field as it is (and is not written,
/// so concurrent changes of different fields never undo each other). `mobile: Some(None)`
/// clears the mobile number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileChange {
    pub nick_name: Option<String>,
    pub avatar: Option<String>,
    pub description: Option<String>,
    pub public_info: Option<String>,
    pub private_info: Option<String>,
    pub mobile: Option<Option<Mobile>>,
    pub details: Details,
}

impl ProfileChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A registered user of one app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub app: AppId,
    pub username: Username,
    pub password_hash: PasswordHash,
    pub profile: Profile,
    pub settings: UserSettings,
    /// Banned users cannot log in; banning revokes their tokens.
    pub banned: bool,
    /// The push alias set with `/user/push/alias`.
    pub push_alias: Option<String>,
    /// The app icon badge set with `/user/push/badge`.
    pub badge: i64,
    /// JMessage's fields beyond the profile.
    pub details: Details,
    pub created_at: Timestamp,
    /// When the profile, details or username last changed (the creation time until then).
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_take_letters_digits_underscore_and_cjk() {
        for ok in ["alice", "bob_2", "李雷", "a"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn usernames_refuse_empty_long_all_digit_and_punctuation() {
        for bad in ["", "12345", "a b", "a-b", "a@b", &"x".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_4_to_72_bytes_and_never_printed() {
        assert!(Password::parse("abc").is_err());
        assert!(Password::parse("abcd").is_ok());
        assert!(Password::parse(&"p".repeat(128)).is_ok());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        let p = Password::parse("secret").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn mobiles_and_emails_are_checked() {
        assert!(Mobile::parse("+8613800138000").is_ok());
        assert!(Mobile::parse("1380a").is_err());
        assert!(Mobile::parse("123").is_err());
        assert_eq!(
            Email::parse("Ann@Example.com").map(|e| e.0).ok(),
            Some("ann@example.com".into())
        );
        assert!(Email::parse("ann@example").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
    }

    #[test]
    fn text_fields_are_bounded_in_characters() {
        assert!(text_field("nick_name", "李".repeat(64), 64).is_ok());
        assert!(text_field("nick_name", "李".repeat(65), 64).is_err());
    }
}
