//! The MaxIM server REST API, grouped as the specification groups it:
//! §3 user (`user/`), §4 push (`push`), §5 token (`token`), §6 message (`message/`),
//! §7 group (`group/`), §8 roster (`roster/`) and §9 file (`file`).

pub(crate) mod dto;
pub(crate) mod file;
pub(crate) mod group;
pub(crate) mod message;
pub(crate) mod push;
pub(crate) mod roster;
pub(crate) mod token;
pub(crate) mod user;

use crate::Operation;

/// Every MaxIM operation served, as the spec's table of contents.
pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = token::operations();
    ops.extend(user::operations());
    ops.extend(group::operations());
    ops.extend(message::operations());
    ops.extend(roster::operations());
    ops.extend(push::operations());
    ops.extend(file::operations());
    ops
}
