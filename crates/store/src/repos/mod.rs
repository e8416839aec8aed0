//! The repository ports of the domain crates, implemented on [`crate::Store`].

mod append;
mod apps;
mod devices;
mod directory;
mod group_rows;
mod groups;
pub(crate) mod messages;
mod roster;
mod tokens;
mod users;
mod webhooks;
