//! The roster service, [`Roster`]; its operations are split by area into the modules below.

mod apply;
mod blocks;
mod friends;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tidings_kernel::{AppId, Clock, IdGenerator, Principal, UserId};

use crate::RosterError;
use crate::model::{RosterEvent, RosterEventKind, UserCard};
use crate::ports::{RosterEvents, RosterRepository, UserDirectory};

pub use apply::BatchApply;
pub use friends::FriendPage;

/// Tunables of the roster.
#[derive(Clone, Debug)]
pub struct RosterPolicy {
    /// How long a friend application waits for an answer, in seconds (default 7 days).
    pub application_ttl_secs: i64,
}

impl Default for RosterPolicy {
    fn default() -> Self {
        Self {
            application_ttl_secs: 7 * 24 * 3600,
        }
    }
}

/// Everything [`Roster`] needs from outside.
pub struct RosterDeps {
    pub roster: Arc<dyn RosterRepository>,
    pub directory: Arc<dyn UserDirectory>,
    pub events: Arc<dyn RosterEvents>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub policy: RosterPolicy,
}

/// The roster service: who is whose friend, applications, blocks, and search.
#[derive(Clone)]
pub struct Roster {
    deps: Arc<RosterDeps>,
}

/// Default and largest page sizes of the cursor-paged lists.
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

impl Roster {
    pub fn new(deps: RosterDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    /// The user the call acts as.
    fn me(principal: &Principal) -> Result<UserId, RosterError> {
        principal.user().ok_or_else(|| {
            RosterError::invalid(
                "this operation acts as a user: send the user_id header with an admin token",
            )
        })
    }

    /// Another user of the app, who must exist and not be the caller.
    async fn other(&self, app: &AppId, me: UserId, id: UserId) -> Result<UserCard, RosterError> {
        if id == me {
            return Err(RosterError::invalid("that is the caller itself"));
        }
        self.deps
            .directory
            .user(app, id)
            .await?
            .ok_or(RosterError::UserNotFound)
    }

    async fn publish(
        &self,
        app: &AppId,
        kind: RosterEventKind,
        from: UserId,
        to: UserId,
        content: &str,
    ) {
        self.deps
            .events
            .publish(
                app,
                RosterEvent {
                    kind,
                    from,
                    to,
                    content: content.to_owned(),
                },
            )
            .await;
    }
}

/// Checks a page size: default 200, 1–1000.
fn page_limit(limit: Option<i64>) -> Result<i64, RosterError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(RosterError::invalid(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )))
    }
}

/// Checks a free-text field against its limit in characters.
fn text(field: &str, value: Option<String>, max: usize) -> Result<String, RosterError> {
    let value = value.unwrap_or_default();
    if value.chars().count() > max {
        return Err(RosterError::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value)
}
