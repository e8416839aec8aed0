#![doc = include_str!("../README.md")]

mod db;
mod error;
mod in_app;
mod jobs;
mod repos;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{DatabaseUrl, Store};
