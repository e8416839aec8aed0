#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod server;
mod wiring;

pub use config::Config;
pub use server::{RunningServer, start};
