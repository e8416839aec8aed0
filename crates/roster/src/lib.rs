#![doc = include_str!("../README.md")]

mod error;
pub mod model;
pub mod ports;
mod service;

pub use error::{RepoError, RosterError};
pub use service::{BatchApply, FriendPage, Roster, RosterDeps, RosterPolicy};
