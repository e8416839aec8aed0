//! JMessage's OpenAPI document, generated from the handlers' annotations, served at
//! `/openapi/jmessage.json` and browsable at `/docs` beside MaxIM's. Tests keep it equal to
//! the routes served and to the committed snapshot `openapi-jmessage.json` beside this
//! crate's `Cargo.toml`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::jmessage::error::ErrorBody;
use crate::jmessage::{sdk, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidings — JMessage REST API v1",
        description = "The JMessage REST API v1 as Tidings serves it, over the same users, \
groups and messages as its MaxIM API. Every call authenticates with HTTP Basic: the app key \
as the user name, the master secret as the password. Answers are the plain resource, or \
201/204; refusals are a non-2xx status with `{\"error\": {\"code\", \"message\"}}`. A \
trailing slash never changes the operation.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BasicAuth),
    paths(
        users::get, users::update, users::set_password, users::delete, users::delete_batch, users::forbid,
        users::userstat, users::userstat_batch, users::statuser,
        sdk::set_status, sdk::status,
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "users", description = "Users"),
        (name = "admin", description = "The app's settings"),
    )
)]
pub struct ApiDoc;

/// HTTP Basic on every operation, operation ids from method and path, and a refusal as every
/// operation's other answer.
struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "basic",
            Vec::<String>::new(),
        )]);
        let refusal = ResponseBuilder::new()
            .description("refused: a JMessage error code and message")
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build();
        for (path, item) in &mut openapi.paths.paths {
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else {
                    continue;
                };
                // Unique, from method and path: `put_v1_sdkregister_status`.
                operation.operation_id = Some(format!(
                    "{method}_{}",
                    path.trim_matches('/')
                        .replace(['/', '-'], "_")
                        .replace(['{', '}'], "")
                ));
                operation
                    .responses
                    .responses
                    .insert("default".into(), RefOr::T(refusal.clone()));
            }
        }
    }
}

/// The document served at `/openapi/jmessage.json`.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::documents::{assert_lists_exactly, assert_matches_snapshot};

    #[test]
    fn the_document_lists_exactly_the_routes_served() {
        assert_lists_exactly(&ApiDoc::openapi(), crate::jmessage::operations());
    }

    #[test]
    fn the_document_matches_the_committed_snapshot() -> anyhow::Result<()> {
        assert_matches_snapshot(&ApiDoc::openapi(), "openapi-jmessage.json")
    }
}
