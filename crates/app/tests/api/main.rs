//! Black-box tests of the HTTP surface: each starts the real server on port 0 with a fresh
//! database (SQLite, and PostgreSQL when `TIDINGS_TEST_POSTGRES_URL` is set).

mod support;

mod account;
mod auth;
pub mod cli;
mod devices;
mod edge;
mod files;
mod gateway;
mod gateway_limits;
pub mod groups;
mod groups_content;
mod jmessage;
mod jmessage_client;
mod jmessage_users;
mod limits;
pub mod messages;
mod outage;
mod platform;
mod profile;
mod push;
pub mod push_notify;
pub mod push_vendors;
mod push_webpush;
mod register;
mod roster;
mod settings;
mod tokens;
mod webhooks;
mod ws;
