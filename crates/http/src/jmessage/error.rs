//! JMessage refusals (NOTES.md §2): a non-2xx HTTP status and
//! `{"error": {"code": N, "message": "..."}}`. Every domain error maps to one code and
//! status here; input the extractors cannot read answers 899003 with HTTP 400.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tidings_users::UserError;
use utoipa::ToSchema;

use crate::surface::{STORAGE_RETRY_AFTER_SECS, Unnamed, Unserved};

/// JMessage error codes (NOTES.md §2).
pub mod code {
    pub const INTERNAL: u32 = 899_000;
    pub const USER_EXISTS: u32 = 899_001;
    pub const USER_NOT_FOUND: u32 = 899_002;
    pub const BAD_PARAMETER: u32 = 899_003;
    pub const WRONG_PASSWORD: u32 = 899_004;
    pub const AUTH_MISSING: u32 = 899_007;
    pub const AUTH_FAILED: u32 = 899_008;
    /// The server is busy (here: the storage cannot be reached): retry.
    pub const BUSY: u32 = 899_030;
}

/// A JMessage refusal.
#[derive(Debug)]
pub struct JmError {
    pub code: u32,
    pub status: StatusCode,
    pub message: String,
    /// Seconds after which a retry may succeed (the `Retry-After` header).
    pub retry_after: Option<u64>,
}

/// The body of every refusal.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A JMessage error code (899000–899082, 855001–855004).
    pub code: u32,
    pub message: String,
}

impl JmError {
    pub fn new(code: u32, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 899003, HTTP 400.
    pub fn bad_parameter(message: impl Into<String>) -> Self {
        Self::new(code::BAD_PARAMETER, StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn internal() -> Self {
        Self::new(
            code::INTERNAL,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
    }

    /// The body a refusal answers with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
            },
        }
    }
}

impl crate::surface::Refusal for JmError {
    fn from_panic(err: &tokio::task::JoinError) -> Self {
        crate::surface::log_panic(err);
        Self::internal()
    }
}

impl std::fmt::Display for JmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for JmError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = crate::surface::refusal_response(self.status, self.retry_after);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                "Basic realm=\"JMessage\"",
            ));
        }
        response.json(self.body())
    }
}

/// A failure the domain has no name for: 899030 with HTTP 503 and `Retry-After` when the
/// storage cannot be reached (nothing was done), else 899000 with HTTP 500.
fn unnamed(e: &anyhow::Error) -> JmError {
    match crate::surface::unnamed(e) {
        Unnamed::StorageUnavailable => JmError {
            retry_after: Some(STORAGE_RETRY_AFTER_SECS),
            ..JmError::new(
                code::BUSY,
                StatusCode::SERVICE_UNAVAILABLE,
                "storage unavailable: the request was not completed, retry later",
            )
        },
        Unnamed::Bug => JmError::internal(),
    }
}

impl From<UserError> for JmError {
    fn from(err: UserError) -> Self {
        let (code, status) = match &err {
            UserError::AppNotFound
            | UserError::TokenMissing
            | UserError::TokenInvalid
            | UserError::AppCredentialsInvalid => (code::AUTH_FAILED, StatusCode::UNAUTHORIZED),
            UserError::UserNotFound => (code::USER_NOT_FOUND, StatusCode::FORBIDDEN),
            UserError::UserExists => (code::USER_EXISTS, StatusCode::FORBIDDEN),
            UserError::WrongPassword => (code::WRONG_PASSWORD, StatusCode::FORBIDDEN),
            UserError::InvalidInput(_) | UserError::DeviceNotFound(_) => {
                (code::BAD_PARAMETER, StatusCode::BAD_REQUEST)
            }
            // What JMessage has no code of its own for: refused as a bad request of this
            // app (the message says which rule).
            UserError::NoPermission(_)
            | UserError::AlreadyBound(_)
            | UserError::RegistrationClosed
            | UserError::UserLimitReached => (code::BAD_PARAMETER, StatusCode::FORBIDDEN),
            UserError::Unknown(e) => return unnamed(e),
        };
        Self::new(code, status, err.to_string())
    }
}

/// JMessage's answer to what its handlers never see: unreadable input is 899003 (HTTP 400,
/// or 408/413 for a body too slow or too large); an unknown path or unserved method carries
/// its HTTP status (404, 405) as its code, as JMessage has none of its own.
pub(crate) fn refuse(unserved: Unserved, message: String) -> HttpResponse {
    let refusal = match unserved {
        Unserved::Unreadable(status) => JmError::new(code::BAD_PARAMETER, status, message),
        Unserved::NotFound => JmError::new(404, StatusCode::NOT_FOUND, message),
        Unserved::MethodNotAllowed => JmError::new(405, StatusCode::METHOD_NOT_ALLOWED, message),
    };
    refusal.error_response()
}
