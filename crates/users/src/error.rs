use thiserror::Error;

/// Everything an operation of the users domain can refuse with. The HTTP adapter maps
/// each variant to one MaxIM code in one place.
#[derive(Debug, Error)]
pub enum UserError {
    #[error("app_id does not exist")]
    AppNotFound,
    #[error("access-token is missing")]
    TokenMissing,
    #[error("access-token is invalid, expired or revoked")]
    TokenInvalid,
    /// An app key and master secret that do not name an app together.
    #[error("the app key or master secret is wrong")]
    AppCredentialsInvalid,
    #[error("{0}")]
    NoPermission(String),
    #[error("user does not exist")]
    UserNotFound,
    #[error("{0}")]
    InvalidInput(String),
    #[error("user already exists")]
    UserExists,
    #[error("{0} is already bound to another user")]
    AlreadyBound(&'static str),
    #[error("wrong password")]
    WrongPassword,
    #[error("registration is closed for this app")]
    RegistrationClosed,
    #[error("the app has reached its user limit")]
    UserLimitReached,
    #[error("device {0} does not exist")]
    DeviceNotFound(i64),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl UserError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    Username,
    Mobile,
    Email,
    OpenId,
    PushToken,
    Other,
}

/// What a repository port may fail with.
#[derive(Debug, Error)]
pub enum RepoError {
    #[error("uniqueness conflict on {0:?}")]
    Conflict(Unique),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<RepoError> for UserError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::Conflict(Unique::Username) => UserError::UserExists,
            RepoError::Conflict(Unique::Mobile) => UserError::AlreadyBound("mobile"),
            RepoError::Conflict(Unique::Email) => UserError::AlreadyBound("email"),
            RepoError::Conflict(Unique::OpenId) => UserError::AlreadyBound("open_id"),
            RepoError::Conflict(Unique::PushToken) => UserError::AlreadyBound("push_token"),
            RepoError::Conflict(Unique::Other) => {
                UserError::Unknown(anyhow::anyhow!("unexpected uniqueness conflict"))
            }
            RepoError::Unknown(e) => UserError::Unknown(e),
        }
    }
}
