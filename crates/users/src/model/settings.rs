use crate::UserError;

/// Who may add this user as a friend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Anyone may add the user at once.
    #[default]
    Anyone = 0,
    /// An application the user must accept.
    Consent = 1,
    /// The applicant must answer `auth_question` with `auth_answer`.
    Question = 2,
    /// Every application is refused.
    RejectAll = 3,
}

impl AuthMode {
    /// # Errors
    /// [`UserError::InvalidInput`] outside 0–3.
    pub fn from_code(code: i64) -> Result<Self, UserError> {
        Ok(match code {
            0 => Self::Anyone,
            1 => Self::Consent,
            2 => Self::Question,
            3 => Self::RejectAll,
            _ => return Err(UserError::invalid("auth_mode must be 0, 1, 2 or 3")),
        })
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// An hour of the day, 0–23.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hour(u8);

impl Hour {
    /// # Errors
    /// [`UserError::InvalidInput`] outside 0–23; `field` names the parameter in the message.
    pub fn parse(field: &str, value: i64) -> Result<Self, UserError> {
        u8::try_from(value)
            .ok()
            .filter(|h| *h < 24)
            .map(Self)
            .ok_or_else(|| UserError::invalid(format!("{field} must be an hour from 0 to 23")))
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

/// A user's settings, as `GET /user/settings` returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSettings {
    pub auth_mode: AuthMode,
    pub auth_question: String,
    pub auth_answer: String,
    pub auto_download: bool,
    pub group_confirm: bool,
    pub no_push: bool,
    pub no_push_detail: bool,
    pub no_push_start_hour: Hour,
    pub no_push_end_hour: Hour,
    pub silence_start_time: Hour,
    pub silence_end_time: Hour,
    pub no_sounds: bool,
    pub vibratory: bool,
    pub push_nick_name: String,
}

impl Default for UserSettings {
    /// The settings of a new user: anyone may add them, invitations join at once,
    /// pushes on, downloads automatic, vibration on.
    fn default() -> Self {
        Self {
            auth_mode: AuthMode::Anyone,
            auth_question: String::new(),
            auth_answer: String::new(),
            auto_download: true,
            group_confirm: false,
            no_push: false,
            no_push_detail: false,
            no_push_start_hour: Hour(0),
            no_push_end_hour: Hour(0),
            silence_start_time: Hour(0),
            silence_end_time: Hour(0),
            no_sounds: false,
            vibratory: true,
            push_nick_name: String::new(),
        }
    }
}

/// A change to settings; `None` keeps the current value. Every single-setting endpoint
/// (`/user/authmode`, `/user/push`, …) is a patch with one field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub auth_mode: Option<AuthMode>,
    pub auth_question: Option<String>,
    pub auth_answer: Option<String>,
    pub auto_download: Option<bool>,
    pub group_confirm: Option<bool>,
    pub no_push: Option<bool>,
    pub no_push_detail: Option<bool>,
    pub no_push_start_hour: Option<Hour>,
    pub no_push_end_hour: Option<Hour>,
    pub silence_start_time: Option<Hour>,
    pub silence_end_time: Option<Hour>,
    pub no_sounds: Option<bool>,
    pub vibratory: Option<bool>,
    pub push_nick_name: Option<String>,
}

impl UserSettings {
    /// Applies a patch.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] when the question, answer or push nickname is over its
    /// length limit.
    pub fn apply(&mut self, patch: SettingsPatch) -> Result<(), UserError> {
        fn set<T>(slot: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *slot = v;
            }
        }
        for (name, value, max) in [
            ("auth_question", &patch.auth_question, 256),
            ("auth_answer", &patch.auth_answer, 256),
            ("push_nick_name", &patch.push_nick_name, 64),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return Err(UserError::invalid(format!(
                    "{name} must be at most {max} characters"
                )));
            }
        }
        let mut next = self.clone();
        set(&mut next.auth_mode, patch.auth_mode);
        set(&mut next.auth_question, patch.auth_question);
        set(&mut next.auth_answer, patch.auth_answer);
        set(&mut next.auto_download, patch.auto_download);
        set(&mut next.group_confirm, patch.group_confirm);
        set(&mut next.no_push, patch.no_push);
        set(&mut next.no_push_detail, patch.no_push_detail);
        set(&mut next.no_push_start_hour, patch.no_push_start_hour);
        set(&mut next.no_push_end_hour, patch.no_push_end_hour);
        set(&mut next.silence_start_time, patch.silence_start_time);
        set(&mut next.silence_end_time, patch.silence_end_time);
        set(&mut next.no_sounds, patch.no_sounds);
        set(&mut next.vibratory, patch.vibratory);
        set(&mut next.push_nick_name, patch.push_nick_name);
        // Mode 2 may come before its question: clients set them in separate calls. Until
        // both are set, friend applications to the user are refused (see the roster).
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut s = UserSettings::default();
        s.apply(SettingsPatch {
            no_push: Some(true),
            no_push_start_hour: Some(Hour(22)),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.no_push);
        assert_eq!(s.no_push_start_hour.get(), 22);
        assert!(s.vibratory);
        assert_eq!(s.auth_mode, AuthMode::Anyone);
    }

    #[test]
    fn question_mode_may_be_set_before_its_question_and_nothing_changes_when_refused() {
        let mut s = UserSettings::default();
        s.apply(SettingsPatch {
            auth_mode: Some(AuthMode::Question),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.auth_mode, AuthMode::Question);
        s.apply(SettingsPatch {
            auth_question: Some("1+1?".into()),
            auth_answer: Some("2".into()),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let before = s.clone();
        let refused = s.apply(SettingsPatch {
            no_push: Some(true),
            auth_answer: Some("x".repeat(257)),
            ..Default::default()
        });
        assert!(matches!(refused, Err(UserError::InvalidInput(_))));
        assert_eq!(s, before);
    }

    #[test]
    fn hours_and_auth_modes_are_range_checked() {
        assert!(Hour::parse("h", 23).is_ok());
        assert!(Hour::parse("h", 24).is_err());
        assert!(Hour::parse("h", -1).is_err());
        assert!(AuthMode::from_code(3).is_ok());
        assert!(AuthMode::from_code(4).is_err());
    }

    #[test]
    fn over_long_texts_are_refused() {
        let mut s = UserSettings::default();
        let refused = s.apply(SettingsPatch {
            push_nick_name: Some("n".repeat(65)),
            ..Default::default()
        });
        assert!(refused.is_err());
    }
}
