//! MaxIM §3: users.

pub(crate) mod account;
pub(crate) mod devices;
pub(crate) mod profile;
pub(crate) mod push;
pub(crate) mod register;
pub(crate) mod settings;

use actix_web::http::Method;

use crate::Operation;

/// The methods of operations MaxIM serves on both POST and PUT.
pub(crate) const POST_PUT: &[Method] = &[Method::POST, Method::PUT];
pub(crate) const POST_DELETE: &[Method] = &[Method::POST, Method::DELETE];

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = register::operations();
    ops.extend(profile::operations());
    ops.extend(settings::operations());
    ops.extend(account::operations());
    ops.extend(devices::operations());
    ops.extend(push::operations());
    ops
}
