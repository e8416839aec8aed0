use thiserror::Error;

/// Everything a roster operation can refuse with; the HTTP adapter maps each variant to one
/// MaxIM code.
#[derive(Debug, Error)]
pub enum RosterError {
    /// 10000.
    #[error("user does not exist")]
    UserNotFound,
    /// 10002.
    #[error("{0}")]
    InvalidInput(String),
    /// 10005.
    #[error("already friends")]
    AlreadyFriends,
    /// 10006.
    #[error("{0}")]
    Blocked(String),
    /// 10007.
    #[error("the friend application does not exist, was handled or has expired")]
    ApplicationMissing,
    /// 10010.
    #[error("{0}")]
    NoPermission(String),
    /// 10012.
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl RosterError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// What a repository port may fail with.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct RepoError(#[from] pub anyhow::Error);

impl From<RepoError> for RosterError {
    fn from(err: RepoError) -> Self {
        Self::Unknown(err.0)
    }
}
