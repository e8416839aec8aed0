#![doc = include_str!("../README.md")]

pub mod batched_audience;
mod batching;
mod error;
pub mod group_commit;
pub mod model;
pub mod ports;
mod service;
pub mod webhooks;

pub use error::{MessageError, RepoError};
pub use service::reads::HistoryPage;
pub use service::{Messaging, MessagingDeps, MessagingPolicy, SendRequest, Sent};
