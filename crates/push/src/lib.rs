#![doc = include_str!("../README.md")]

mod error;
pub mod model;
pub mod offline;
pub mod ports;
pub mod receipts;
mod service;

pub use error::{PushError, RepoError};
pub use offline::MessagePush;
pub use service::{
    Deliveries, DeliveryQueue, MAX_DETAIL_IDS, MessagePushQueue, MessagePushes, NotifyRequest,
    Push, PushDeps, Retries, RetryQueue, TaskDelivery, VendorRetry,
};
