#![doc = include_str!("../README.md")]

pub mod apns;
mod clients;
pub mod fcm;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webpush;

pub use clients::{VendorClients, VendorSettings};

/// Now, in seconds since the epoch (JWT times).
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
