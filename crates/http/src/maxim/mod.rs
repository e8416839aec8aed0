//! The MaxIM server REST API, grouped as the specification groups it:
//! §3 user (`user/`), §4 push (`push`), §5 token (`token`), §6 message (`message/`),
//! §7 group (`group/`), §8 roster (`roster/`) and §9 file (`file`); and the edge MaxIM owns:
//! its authentication (`auth`), envelope (`envelope`), error codes (`error`), bodies that
//! are not JSON objects (`body`) and OpenAPI document (`openapi`).

pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod dto;
pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod group;
pub(crate) mod message;
pub(crate) mod openapi;
pub(crate) mod push;
pub(crate) mod roster;
pub(crate) mod token;
pub(crate) mod user;

use crate::surface::{Answers, Operation};

/// Every MaxIM operation served, as the spec's table of contents, and the health probes
/// (which answer in the MaxIM envelope and are in its document).
pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = crate::health::operations();
    ops.extend(token::operations());
    ops.extend(user::operations());
    ops.extend(group::operations());
    ops.extend(message::operations());
    ops.extend(roster::operations());
    ops.extend(push::operations());
    ops.extend(file::operations());
    ops
}

/// MaxIM's answers to what its handlers never see (bodies up to `limit` bytes).
pub(crate) fn answers(limit: usize) -> Answers {
    Answers::new(limit, error::refuse, false)
}
