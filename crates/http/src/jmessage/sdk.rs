//! The SDK registration switch (seed 003, `/v1/sdkregister/status`): whether users may
//! register themselves through the client SDKs — here MaxIM's open `/user/register*`, which
//! answer 40001 while it is off. Registration by the app's server (JMessage's
//! `POST /v1/users/`, MaxIM's admin batch) is never closed by it. It is the app's
//! registration switch, the same one `tidings app update --registration` sets.

use actix_web::http::Method;
use actix_web::web::{Data, Query};
use serde::{Deserialize, Serialize};
use tidings_users::model::AppUpdate;
use utoipa::{IntoParams, ToSchema};

use crate::jmessage::auth::Master;
use crate::jmessage::error::JmError;
use crate::jmessage::reply::{JmResult, no_content, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::PUT], "/v1/sdkregister/status", set_status);
    ops.extend(op(&[Method::GET], "/v1/sdkregister/status", status));
    ops
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// 1 open, 0 closed.
    pub status: i64,
}

/// The switch: 1 open, 0 closed.
#[derive(Serialize, ToSchema)]
pub struct SdkRegisterStatus {
    pub status: i64,
}

/// Open (1) or close (0) registration through the client SDKs.
#[utoipa::path(put, path = "/v1/sdkregister/status", tag = "admin", params(StatusQuery),
    responses((status = 204, description = "switched")))]
pub async fn set_status(
    state: Data<ApiState>,
    master: Master,
    query: Query<StatusQuery>,
) -> JmResult {
    let open = match query.status {
        0 => false,
        1 => true,
        _ => return Err(JmError::bad_parameter("status must be 0 or 1")),
    };
    let update = AppUpdate {
        registration_open: Some(open),
        ..AppUpdate::default()
    };
    state.users.update_app(&master.0.app, update).await?;
    no_content()
}

/// Whether registration through the client SDKs is open (1) or closed (0).
#[utoipa::path(get, path = "/v1/sdkregister/status", tag = "admin",
    responses((status = 200, body = SdkRegisterStatus)))]
pub async fn status(state: Data<ApiState>, master: Master) -> JmResult {
    let app = state.users.find_app(&master.0.app).await?;
    ok(&SdkRegisterStatus {
        status: i64::from(app.registration_open),
    })
}
