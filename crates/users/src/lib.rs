#![doc = include_str!("../README.md")]

mod error;
pub mod model;
mod password;
pub mod ports;
mod service;
mod token_cache;

pub use error::{RepoError, Unique, UserError};
pub use password::BcryptHasher;
pub use service::{
    BatchItem, DeviceGrant, DeviceInfo, DeviceStatus, IssuedToken, LoginBy, MAX_DELETE,
    MAX_STATUS_USERS, ProfilePatch, RegisterRequest, UserStatus, Users, UsersDeps, UsersPolicy,
};
pub use token_cache::LocalTokenCache;
