//! The repository ports of the domain crates, implemented on [`crate::Store`]: one room per
//! domain, each with its row structs and its queries.

pub(crate) mod files;
mod groups;
pub(crate) mod messaging;
mod push;
mod roster;
mod users;
