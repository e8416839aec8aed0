use tidings_kernel::{DeviceSn, Timestamp, UserId};

use crate::UserError;

/// A client installation's own id, chosen by the client (`device_guid`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceGuid(String);

impl DeviceGuid {
    /// # Errors
    /// [`UserError::InvalidInput`] when empty or longer than 128 bytes.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 128 {
            return Err(UserError::invalid("device_guid must be 1 to 128 bytes"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Device platforms as MaxIM numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Ios = 1,
    Android = 2,
    Windows = 3,
    Mac = 4,
    Linux = 5,
    Web = 6,
}

impl Platform {
    /// # Errors
    /// [`UserError::InvalidInput`] outside 1–6.
    pub fn from_code(code: i64) -> Result<Self, UserError> {
        Ok(match code {
            1 => Self::Ios,
            2 => Self::Android,
            3 => Self::Windows,
            4 => Self::Mac,
            5 => Self::Linux,
            6 => Self::Web,
            _ => return Err(UserError::invalid("platform must be 1 to 6")),
        })
    }

    /// A best guess from a `User-Agent` header; anything unrecognised is the web.
    pub fn guess_from_user_agent(user_agent: &str) -> Self {
        let ua = user_agent.to_ascii_lowercase();
        if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ios") {
            Self::Ios
        } else if ua.contains("android") {
            Self::Android
        } else if ua.contains("windows") {
            Self::Windows
        } else if ua.contains("mac os") || ua.contains("macintosh") || ua.contains("darwin") {
            Self::Mac
        } else if ua.contains("linux") {
            Self::Linux
        } else {
            Self::Web
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One logged-in installation of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub user: UserId,
    pub sn: DeviceSn,
    pub guid: String,
    pub platform: Platform,
    pub user_agent: String,
    /// The token this device receives pushes under (handed out at login).
    pub push_token: String,
    /// A vendor push token bound with `/user/token/bind`, and its notifier (certificate) name.
    pub vendor_token: Option<(String, String)>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_are_guessed_from_user_agents() {
        let cases = [
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)", Platform::Ios),
            ("okhttp/4 (Linux; Android 14)", Platform::Android),
            ("Mozilla/5.0 (Windows NT 10.0)", Platform::Windows),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X)", Platform::Mac),
            ("curl/8 (x86_64-pc-linux-gnu) Linux", Platform::Linux),
            ("reqwest", Platform::Web),
        ];
        for (ua, platform) in cases {
            assert_eq!(Platform::guess_from_user_agent(ua), platform, "{ua}");
        }
    }

    #[test]
    fn platform_codes_round_trip_and_refuse_others() {
        for code in 1..=6 {
            assert_eq!(
                Platform::from_code(code).map(Platform::code).ok(),
                Some(code)
            );
        }
        assert!(Platform::from_code(0).is_err());
        assert!(Platform::from_code(7).is_err());
    }

    #[test]
    fn device_guids_are_trimmed_and_bounded() {
        assert_eq!(
            DeviceGuid::parse(" abc ").map(|g| g.0).ok(),
            Some("abc".into())
        );
        assert!(DeviceGuid::parse("  ").is_err());
        assert!(DeviceGuid::parse(&"x".repeat(129)).is_err());
    }
}
