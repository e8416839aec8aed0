//! The users ports: apps (tenants), user accounts with their profiles and settings,
//! devices, tokens, and the rows they are stored as.

mod accounts;
mod apps;
mod devices;
mod rows;
mod tokens;
