use thiserror::Error;

/// Everything a files operation can refuse with; each API surface maps the variants to its
/// own codes and HTTP statuses.
#[derive(Debug, Error)]
pub enum FileError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("user does not exist")]
    UserNotFound,
    #[error("group does not exist")]
    GroupNotFound,
    /// The caller must be a member of the group.
    #[error("only members of the group may do this")]
    NeedMember,
    /// The caller must be an admin or the owner of the group.
    #[error("only admins of the group may do this")]
    NeedAdmin,
    /// A user token with no user to act as, or a reader who is not a party of the file's
    /// conversation.
    #[error("{0}")]
    NoPermission(String),
    /// No stored file of that name or signature in this app (never uploaded, or deleted).
    #[error("no such file")]
    NotFound,
    /// An upload URL whose signature does not check, or that has expired.
    #[error("{0}")]
    BadTicket(String),
    /// The upload URL was used already.
    #[error("this upload URL was used already; ask for a new one")]
    AlreadyUploaded,
    /// The body grew past the kind's limit while it was streamed; nothing was kept.
    #[error("the file is over {limit} bytes, the limit for its kind")]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl FileError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// What a port may fail with.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct RepoError(#[from] pub anyhow::Error);

impl From<RepoError> for FileError {
    fn from(err: RepoError) -> Self {
        Self::Unknown(err.0)
    }
}
