use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tidings_kernel::StorageUnavailable;
use tidings_users::{RepoError, Unique};

/// Maps a diesel error to the domain's repository error, naming the uniqueness rule a
/// conflict broke (PostgreSQL names the index; SQLite names the columns).
pub(crate) fn repo_error(err: DieselError) -> RepoError {
    if let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &err {
        let what = info.constraint_name().unwrap_or_else(|| info.message());
        let unique = if what.contains("push_token") {
            Unique::PushToken
        } else if what.contains("open_id") {
            Unique::OpenId
        } else if what.contains("username") {
            Unique::Username
        } else if what.contains("mobile") {
            Unique::Mobile
        } else if what.contains("email") {
            Unique::Email
        } else {
            Unique::Other
        };
        return RepoError::Conflict(unique);
    }
    RepoError::Unknown(unknown(err))
}

/// A diesel error the domain has no name for: [`StorageUnavailable`] when it means the
/// database could not be reached or was too busy (so the surfaces answer "retry"), the
/// error itself otherwise.
pub(crate) fn unknown(err: DieselError) -> anyhow::Error {
    if unavailable(&err) {
        return anyhow::Error::new(StorageUnavailable(err.to_string()));
    }
    anyhow::Error::new(err)
}

fn unavailable(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            // SQLite past its busy timeout; PostgreSQL shutting down, starting, or full.
            [
                "database is locked",
                "database is busy",
                "terminating connection",
                "the database system is",
                "too many clients",
                "remaining connection slots",
            ]
            .iter()
            .any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// A failure to get a pooled connection; converts into each domain's repository error, so
/// `with_conn!` serves every repository.
#[derive(Debug)]
pub(crate) struct PoolError(pub anyhow::Error);

impl From<PoolError> for RepoError {
    fn from(e: PoolError) -> Self {
        RepoError::Unknown(e.0)
    }
}

impl From<PoolError> for tidings_roster::RepoError {
    fn from(e: PoolError) -> Self {
        tidings_roster::RepoError(e.0)
    }
}

impl From<PoolError> for tidings_groups::RepoError {
    fn from(e: PoolError) -> Self {
        tidings_groups::RepoError(e.0)
    }
}

impl From<PoolError> for tidings_messaging::RepoError {
    fn from(e: PoolError) -> Self {
        tidings_messaging::RepoError(e.0)
    }
}

impl From<PoolError> for tidings_files::RepoError {
    fn from(e: PoolError) -> Self {
        tidings_files::RepoError(e.0)
    }
}

impl From<PoolError> for tidings_push::RepoError {
    fn from(e: PoolError) -> Self {
        tidings_push::RepoError(e.0)
    }
}

impl From<PoolError> for anyhow::Error {
    fn from(e: PoolError) -> Self {
        e.0
    }
}

/// Maps a diesel error to the files' repository error.
pub(crate) fn files_error(err: DieselError) -> tidings_files::RepoError {
    tidings_files::RepoError(unknown(err))
}

/// Maps a diesel error to the push repository error.
pub(crate) fn push_error(err: DieselError) -> tidings_push::RepoError {
    tidings_push::RepoError(unknown(err))
}

/// Maps a diesel error to the messaging repository error.
pub(crate) fn messaging_error(err: DieselError) -> tidings_messaging::RepoError {
    tidings_messaging::RepoError(unknown(err))
}

/// Maps a diesel error to the groups' repository error.
pub(crate) fn groups_error(err: DieselError) -> tidings_groups::RepoError {
    tidings_groups::RepoError(unknown(err))
}

/// Maps a diesel error to the roster's repository error.
pub(crate) fn roster_error(err: DieselError) -> tidings_roster::RepoError {
    tidings_roster::RepoError(unknown(err))
}

/// A row that breaks a domain rule (it was written by something other than this code).
pub(crate) fn corrupt(what: impl std::fmt::Display) -> RepoError {
    RepoError::Unknown(anyhow::anyhow!("stored data is invalid: {what}"))
}
