use thiserror::Error;

/// Everything a group operation can refuse with; the HTTP adapter maps each variant to one
/// MaxIM code (given beside it).
#[derive(Debug, Error)]
pub enum GroupError {
    /// 10000.
    #[error("user does not exist")]
    UserNotFound,
    /// 10002.
    #[error("{0}")]
    InvalidInput(String),
    /// 10010.
    #[error("{0}")]
    NoPermission(String),
    /// 20001.
    #[error("group does not exist")]
    GroupNotFound,
    /// 20002.
    #[error("not a member of the group")]
    NotMember,
    /// 20003.
    #[error("msg_push_mode must be 0 to 4")]
    InvalidPushMode,
    /// 20004.
    #[error("the owner cannot leave the group; transfer it first")]
    OwnerCannotLeave,
    /// 20005.
    #[error("the new owner is not a member of the group")]
    NewOwnerNotMember,
    /// 20008.
    #[error("the user has created as many groups as allowed")]
    TooManyCreated,
    /// 20009.
    #[error("the user has joined as many groups as allowed")]
    TooManyJoined,
    /// 20010.
    #[error("the group is full")]
    GroupFull,
    /// 20011.
    #[error("this needs a member of the group")]
    NeedMember,
    /// 20012.
    #[error("this needs a group admin")]
    NeedAdmin,
    /// 20013.
    #[error("this needs the group owner")]
    NeedOwner,
    /// 20014.
    #[error("the application does not exist, was handled or has expired")]
    ApplicationMissing,
    /// 20015.
    #[error("the invitation does not exist, was handled or has expired")]
    InvitationMissing,
    /// 20016.
    #[error("kicked out of this group too many times")]
    KickedTooOften,
    /// 20017.
    #[error("already a member of the group")]
    AlreadyMember,
    /// 20018.
    #[error("in the group's blacklist")]
    Blacklisted,
    /// 20020.
    #[error("announcement does not exist")]
    AnnouncementNotFound,
    /// 20022.
    #[error("shared file does not exist")]
    FileNotFound,
    /// 20023.
    #[error("only the uploader or an admin may change this file")]
    FileNoPermission,
    /// 20024.
    #[error("the QR invitation is not valid")]
    QrInvalid,
    /// 20025.
    #[error("the QR invitation has expired")]
    QrExpired,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl GroupError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// What a repository port may fail with.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct RepoError(#[from] pub anyhow::Error);

impl From<RepoError> for GroupError {
    fn from(err: RepoError) -> Self {
        Self::Unknown(err.0)
    }
}
