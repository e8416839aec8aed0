//! The one storage failure the domains and the API surfaces tell apart from a bug.

/// The storage could not be reached, or was too busy to answer in time (a database that is
/// down or restarting, a lost connection, a locked SQLite file). The operation was not
/// completed; the same request may be retried later. Storage adapters put this error in the
/// chain of their failures' `anyhow::Error`, so a surface can answer "retry" rather than
/// "internal error".
#[derive(Debug, thiserror::Error)]
#[error("storage unavailable: {0}")]
pub struct StorageUnavailable(pub String);
