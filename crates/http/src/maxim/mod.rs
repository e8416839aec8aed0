//! The MaxIM server REST API, grouped as the specification groups it:
//! §3 user (`user/`) and §5 token (`token`).

pub(crate) mod dto;
pub(crate) mod token;
pub(crate) mod user;

use crate::Operation;

/// Every MaxIM operation served, as the spec's table of contents.
pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = token::operations();
    ops.extend(user::operations());
    ops
}
