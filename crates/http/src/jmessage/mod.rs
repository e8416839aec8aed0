//! The JMessage REST API v1 (seed 003) over the same domains as MaxIM's: served under `/v1`
//! and `/v2` on the same listener, authenticated with the app key and master secret as HTTP
//! Basic credentials (`auth`), answering the plain resource, or 201/204 (`reply`), and
//! refusing with a non-2xx status and `{"error": {"code", "message"}}` (`error`). A trailing
//! slash never changes the operation. The document is `openapi`.

pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod openapi;
pub(crate) mod query;
pub(crate) mod reply;
pub(crate) mod rules;
pub(crate) mod sdk;
pub(crate) mod users;

use crate::surface::{Answers, Operation};

/// Every JMessage operation served.
pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = users::operations();
    ops.extend(sdk::operations());
    ops
}

/// JMessage's answers to what its handlers never see (bodies up to `limit` bytes).
pub(crate) fn answers(limit: usize) -> Answers {
    Answers::new(limit, error::refuse, true)
}

/// Whether `path` is JMessage's: everything under `/v1` and `/v2`.
pub(crate) fn owns(path: &str) -> bool {
    ["/v1", "/v2"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::owns;

    #[test]
    fn jmessage_owns_v1_and_v2_only() {
        for path in ["/v1", "/v1/", "/v1/users/ann", "/v2/users/statuser"] {
            assert!(owns(path), "{path}");
        }
        for path in ["/v10/users", "/v1users", "/user/info", "/", "/docs/"] {
            assert!(!owns(path), "{path}");
        }
    }
}
