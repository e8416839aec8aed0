#![doc = include_str!("../README.md")]

mod error;
pub mod model;
pub mod ports;
mod qr;
mod service;

pub use error::{GroupError, RepoError};
pub use service::{
    Applied, GroupView, Groups, GroupsDeps, GroupsPolicy, InfoField, MemberPage, NewFile, NewGroup,
    Outcome, QrCode, Setting,
};
