use thiserror::Error;

/// Everything a messaging operation can refuse with; the HTTP adapter maps each variant to
/// one MaxIM code (given beside it).
#[derive(Debug, Error)]
pub enum MessageError {
    /// 10000.
    #[error("user does not exist")]
    UserNotFound,
    /// 10002.
    #[error("{0}")]
    InvalidInput(String),
    /// 10006.
    #[error("the receiver blocked the sender")]
    Blocked,
    /// 10010.
    #[error("{0}")]
    NoPermission(String),
    /// 20001.
    #[error("group does not exist")]
    GroupNotFound,
    /// 20002.
    #[error("not a member of the group")]
    NotMember,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl MessageError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// What a port may fail with.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct RepoError(#[from] pub anyhow::Error);

impl From<RepoError> for MessageError {
    fn from(err: RepoError) -> Self {
        Self::Unknown(err.0)
    }
}
