//! JMessage authentication (NOTES.md §1): every call carries
//! `Authorization: Basic base64(app_key:master_secret)`, the credentials `tidings app create`
//! prints, and then acts as that app's admin. No header: 899007; anything else that does not
//! name an app with its secret: 899008 (an unknown key and a wrong secret look the same).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tidings_kernel::Principal;

use crate::jmessage::error::{JmError, code};
use crate::state::ApiState;
use crate::surface::Refusal as _;

/// The app's server, authenticated: the [`Principal`] is the app's admin.
pub struct Master(pub Principal);

fn failed() -> JmError {
    JmError::new(
        code::AUTH_FAILED,
        StatusCode::UNAUTHORIZED,
        "Basic authentication failed",
    )
}

/// The app key and master secret of the `Authorization` header.
fn credentials(req: &HttpRequest) -> Result<(String, String), JmError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Err(JmError::new(
            code::AUTH_MISSING,
            StatusCode::UNAUTHORIZED,
            "the Authorization header is missing: send Basic base64(app_key:master_secret)",
        ));
    };
    let value = value.to_str().map_err(|_| failed())?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or_else(failed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(failed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| failed())?;
    let text = String::from_utf8(decoded).map_err(|_| failed())?;
    let (key, secret) = text.split_once(':').ok_or_else(failed)?;
    Ok((key.to_owned(), secret.to_owned()))
}

impl FromRequest for Master {
    type Error = JmError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, JmError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = ApiState::of(req)
            .ok_or_else(JmError::internal)
            .and_then(|state| Ok((state, credentials(req)?)));
        Box::pin(async move {
            let (state, (key, secret)) = parsed?;
            let users = state.users.clone();
            let principal = state
                .runtime
                .spawn(async move { users.authenticate_app(&key, &secret).await })
                .await
                .map_err(|e| JmError::from_panic(&e))??;
            Ok(Master(principal))
        })
    }
}
