#![doc = include_str!("../README.md")]

pub mod cleanup;
mod error;
pub mod model;
pub mod ports;
mod service;
mod ticket;

pub use error::{FileError, RepoError};
pub use model::disposition;
pub use service::{CheckedUpload, Download, Files, FilesDeps, FilesPolicy};
pub use ticket::TicketKey;
