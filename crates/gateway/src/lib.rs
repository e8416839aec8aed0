#![doc = include_str!("../README.md")]

mod bus;
mod event;
mod fanout;
mod hub;
mod push;

pub use bus::{Bus, LocalBus};
pub use event::Event;
pub use fanout::Fanout;
pub use hub::{CloseReason, Connection, DEFAULT_QUEUE_BYTES, Hub, Next};
pub use push::LivePushes;
