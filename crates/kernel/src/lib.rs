#![doc = include_str!("../README.md")]

mod id_gen;
mod ids;
pub mod jobs;
mod principal;
mod storage;
mod time;

pub use id_gen::{IdGenerator, SnowflakeIds};
pub use ids::{AppId, DeviceSn, GroupId, InvalidAppId, UserId};
pub use principal::{Actor, Principal};
pub use storage::StorageUnavailable;
pub use time::{Clock, SystemClock, Timestamp};

#[cfg(any(test, feature = "mock"))]
pub use id_gen::MockIdGenerator;
#[cfg(any(test, feature = "mock"))]
pub use time::MockClock;
