//! Refusals: every domain error maps to one MaxIM code here, and actix's own extractor
//! failures answer in the same envelope with 10002.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::Value;
use tidings_files::FileError;
use tidings_groups::GroupError;
use tidings_messaging::MessageError;
use tidings_push::PushError;
use tidings_roster::RosterError;
use tidings_users::UserError;

use crate::maxim::envelope::Envelope;
use crate::surface::{STORAGE_RETRY_AFTER_SECS, Unnamed, Unserved};

/// MaxIM error codes (NOTES.md §2).
pub mod code {
    pub const USER_NOT_FOUND: i32 = 10000;
    pub const BAD_PARAMETER: i32 = 10002;
    pub const TOKEN_MISSING: i32 = 10003;
    pub const USER_EXISTS: i32 = 10004;
    pub const ALREADY_FRIENDS: i32 = 10005;
    pub const BLACKLISTED: i32 = 10006;
    pub const APPLICATION_MISSING: i32 = 10007;
    pub const APPLICATION_REJECTED: i32 = 10012;
    pub const TOKEN_INVALID: i32 = 10008;
    pub const NO_PERMISSION: i32 = 10010;
    pub const ALREADY_BOUND: i32 = 10011;
    pub const WRONG_PASSWORD: i32 = 11001;
    /// Over a rate limit (HTTP 429, `Retry-After`); not a MaxIM code: Tidings' own.
    pub const RATE_LIMITED: i32 = 10429;
    /// The storage is down or too busy: nothing was done, retry (HTTP 503, `Retry-After`).
    pub const STORAGE_UNAVAILABLE: i32 = 10009;
    pub const INTERNAL: i32 = 20000;
    pub const APP_NOT_FOUND: i32 = 40000;
    pub const REGISTRATION_CLOSED: i32 = 40001;
    pub const USER_LIMIT: i32 = 40002;
    /// Push (§4): an image push without, or with a bad, image.
    pub const PUSH_IMAGE_MISSING: i32 = 12001;
    pub const PUSH_IMAGE_URL: i32 = 12002;
    pub const PUSH_IMAGE_TYPE: i32 = 12003;
    pub const PUSH_AUDIENCE_TOO_LARGE: i32 = 12005;
    pub const PUSH_NOT_ENABLED: i32 = 12006;
    pub const WRONG_VERIFICATION_CODE: i32 = 10001;
}

/// A refusal: a MaxIM code and a human message, sent as HTTP 200 (or `status`).
#[derive(Debug)]
pub struct ApiError {
    pub code: i32,
    pub message: String,
    pub status: StatusCode,
    /// Seconds after which a retry may succeed (the `Retry-After` header).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: StatusCode::OK,
            retry_after: None,
        }
    }

    /// The database cannot be reached: 10009, HTTP 503, `Retry-After`.
    pub(crate) fn storage_unavailable() -> Self {
        Self {
            retry_after: Some(STORAGE_RETRY_AFTER_SECS),
            ..Self::new(
                code::STORAGE_UNAVAILABLE,
                "storage unavailable: the request was not completed, retry later",
            )
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
        }
    }

    /// The same refusal with another HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn bad_parameter(message: impl Into<String>) -> Self {
        Self::new(code::BAD_PARAMETER, message)
    }

    /// A task that panicked or was cancelled: logged, and answered as an internal error.
    pub(crate) fn from_panic(err: &tokio::task::JoinError) -> Self {
        crate::surface::log_panic(err);
        Self::new(code::INTERNAL, "internal error")
    }
}

impl crate::surface::Refusal for ApiError {
    fn from_panic(err: &tokio::task::JoinError) -> Self {
        ApiError::from_panic(err)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        crate::surface::refusal_response(self.status, self.retry_after).json(Envelope {
            code: self.code,
            message: Some(self.message.clone()),
            data: Value::Null,
        })
    }
}

impl From<crate::limits::Refused> for ApiError {
    fn from(refused: crate::limits::Refused) -> Self {
        let secs = refused.retry_after_secs();
        Self {
            retry_after: Some(secs),
            ..Self::new(
                code::RATE_LIMITED,
                format!("{}; retry after {secs} s", refused.what),
            )
            .with_status(StatusCode::TOO_MANY_REQUESTS)
        }
    }
}

impl From<UserError> for ApiError {
    fn from(err: UserError) -> Self {
        let code = match &err {
            UserError::AppNotFound => code::APP_NOT_FOUND,
            UserError::TokenMissing => code::TOKEN_MISSING,
            UserError::TokenInvalid | UserError::AppCredentialsInvalid => code::TOKEN_INVALID,
            UserError::NoPermission(_) => code::NO_PERMISSION,
            UserError::UserNotFound => code::USER_NOT_FOUND,
            UserError::InvalidInput(_) | UserError::DeviceNotFound(_) => code::BAD_PARAMETER,
            UserError::UserExists => code::USER_EXISTS,
            UserError::AlreadyBound(_) => code::ALREADY_BOUND,
            UserError::WrongPassword => code::WRONG_PASSWORD,
            UserError::RegistrationClosed => code::REGISTRATION_CLOSED,
            UserError::UserLimitReached => code::USER_LIMIT,
            UserError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

impl From<RosterError> for ApiError {
    fn from(err: RosterError) -> Self {
        let code = match &err {
            RosterError::UserNotFound => code::USER_NOT_FOUND,
            RosterError::InvalidInput(_) => code::BAD_PARAMETER,
            RosterError::AlreadyFriends => code::ALREADY_FRIENDS,
            RosterError::Blocked(_) => code::BLACKLISTED,
            RosterError::ApplicationMissing => code::APPLICATION_MISSING,
            RosterError::NoPermission(_) => code::NO_PERMISSION,
            RosterError::Rejected(_) => code::APPLICATION_REJECTED,
            RosterError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

impl From<GroupError> for ApiError {
    fn from(err: GroupError) -> Self {
        let code = match &err {
            GroupError::UserNotFound => code::USER_NOT_FOUND,
            GroupError::InvalidInput(_) => code::BAD_PARAMETER,
            GroupError::NoPermission(_) => code::NO_PERMISSION,
            GroupError::GroupNotFound => 20001,
            GroupError::NotMember => 20002,
            GroupError::InvalidPushMode => 20003,
            GroupError::OwnerCannotLeave => 20004,
            GroupError::NewOwnerNotMember => 20005,
            GroupError::TooManyCreated => 20008,
            GroupError::TooManyJoined => 20009,
            GroupError::GroupFull => 20010,
            GroupError::NeedMember => 20011,
            GroupError::NeedAdmin => 20012,
            GroupError::NeedOwner => 20013,
            GroupError::ApplicationMissing => 20014,
            GroupError::InvitationMissing => 20015,
            GroupError::KickedTooOften => 20016,
            GroupError::AlreadyMember => 20017,
            GroupError::Blacklisted => 20018,
            GroupError::AnnouncementNotFound => 20020,
            GroupError::FileNotFound => 20022,
            GroupError::FileNoPermission => 20023,
            GroupError::QrInvalid => 20024,
            GroupError::QrExpired => 20025,
            GroupError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

impl From<FileError> for ApiError {
    fn from(err: FileError) -> Self {
        let code = match &err {
            FileError::InvalidInput(_)
            | FileError::NotFound
            | FileError::BadTicket(_)
            | FileError::AlreadyUploaded
            | FileError::TooLarge { .. } => code::BAD_PARAMETER,
            FileError::UserNotFound => code::USER_NOT_FOUND,
            FileError::GroupNotFound => 20001,
            FileError::NeedMember => 20011,
            FileError::NeedAdmin => 20012,
            FileError::NoPermission(_) => code::NO_PERMISSION,
            FileError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

impl From<PushError> for ApiError {
    fn from(err: PushError) -> Self {
        let code = match &err {
            PushError::InvalidInput(_) => code::BAD_PARAMETER,
            PushError::ImageMissing => code::PUSH_IMAGE_MISSING,
            PushError::ImageUrl => code::PUSH_IMAGE_URL,
            PushError::ImageType => code::PUSH_IMAGE_TYPE,
            PushError::AudienceTooLarge => code::PUSH_AUDIENCE_TOO_LARGE,
            PushError::NotEnabled(_) => code::PUSH_NOT_ENABLED,
            PushError::NoPermission(_) => code::NO_PERMISSION,
            PushError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

impl From<MessageError> for ApiError {
    fn from(err: MessageError) -> Self {
        let code = match &err {
            MessageError::UserNotFound => code::USER_NOT_FOUND,
            MessageError::InvalidInput(_) => code::BAD_PARAMETER,
            MessageError::Blocked => code::BLACKLISTED,
            MessageError::NoPermission(_) => code::NO_PERMISSION,
            MessageError::GroupNotFound => 20001,
            MessageError::NotMember => 20002,
            MessageError::Unknown(e) => return internal(e),
        };
        Self::new(code, err.to_string())
    }
}

/// A failure the domain has no name for: "storage unavailable, retry" (10009, HTTP 503), or
/// a bug (20000).
fn internal(e: &anyhow::Error) -> ApiError {
    match crate::surface::unnamed(e) {
        Unnamed::StorageUnavailable => ApiError::storage_unavailable(),
        Unnamed::Bug => ApiError::new(code::INTERNAL, "internal error"),
    }
}

/// MaxIM's answer to what its handlers never see, in the envelope: unreadable input is
/// 10002 (HTTP 200 like every business error, or 408/413 for a body too slow or too large);
/// an unknown path or unserved method carries its HTTP status (404, 405) as its code.
pub(crate) fn refuse(unserved: Unserved, message: String) -> HttpResponse {
    let refusal = match unserved {
        Unserved::Unreadable(StatusCode::BAD_REQUEST) => ApiError::bad_parameter(message),
        Unserved::Unreadable(status) => ApiError::bad_parameter(message).with_status(status),
        Unserved::NotFound => ApiError::new(404, message).with_status(StatusCode::NOT_FOUND),
        Unserved::MethodNotAllowed => {
            ApiError::new(405, message).with_status(StatusCode::METHOD_NOT_ALLOWED)
        }
    };
    refusal.error_response()
}
