//! MaxIM's OpenAPI document, generated from the handlers' annotations, served at
//! `/openapi.json` and browsable at `/docs`. Tests keep it equal to the routes actually served and to the
//! committed snapshot `openapi.json` beside this crate's `Cargo.toml`.

use serde_json::{Value, json};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::health;
use crate::maxim::group::{content, info, join, members, moderation};
use crate::maxim::roster::{applications, blocks, friends};
use crate::maxim::token;
use crate::maxim::user::{account, devices, profile, push, register, settings};
use crate::maxim::{file, message, push as push_api};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidings",
        description = "The MaxIM server REST API as Tidings serves it. Every request names its \
app in the `app_id` header; all but registration and login carry `access-token` (an admin \
token or a user token). With an admin token, the `user_id` header runs the call as that user \
and `group_id` as that group's admin. Answers are `{code, message, data}` with HTTP 200 for \
business errors; `code` 200 is success.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/", description = "This server")),
    modifiers(&HeaderAuth, &Conform),
    paths(
        health::healthz, health::readyz,
        token::by_username, token::by_user_id, token::by_login_name,
        register::register_v1, register::register_v2, register::register_batch,
        register::register_push,
        profile::get_profile, profile::update_profile, profile::update_profiles,
        profile::set_avatar, profile::set_avatars, profile::set_nickname, profile::set_mobile,
        profile::set_username, profile::set_private_info, profile::set_public_info,
        profile::bind_openid,
        settings::get_settings, settings::update_settings, settings::set_auth_mode,
        settings::set_auto_download, settings::set_no_push, settings::set_no_push_detail,
        settings::set_no_push_hours, settings::set_push_nickname, settings::set_no_sounds,
        settings::set_vibratory,
        account::change_password, account::change_password_admin, account::delete_user,
        account::disable_users, account::enable_users, account::list_users,
        devices::list_devices, devices::remove_device, devices::kick, devices::online_status,
        devices::bind_vendor_token, devices::unbind_vendor_token,
        push::list_tags, push::add_tags, push::remove_tags, push::remove_all_tags,
        push::set_alias, push::set_badge,
        applications::apply, applications::apply_batch, applications::list_applications,
        applications::accept, applications::decline,
        friends::list_friends, friends::friend_details, friends::find_by_id,
        friends::find_by_name, friends::find_by_mobile, friends::update_friend,
        friends::delete_friend, friends::may_message,
        blocks::block, blocks::unblock, blocks::blocked_list,
        info::create, info::destroy, info::info, info::settings, info::info_batch,
        info::set_name, info::set_description, info::set_avatar, info::set_ext,
        info::allow_member_invitation, info::allow_member_modify, info::enable_read_ack,
        info::history_visible, info::require_admin_approval, info::ban_all, info::unban_all,
        info::user_joined, info::public_list,
        members::member_list, members::members_display_name, members::admin_list,
        members::add_admins, members::remove_admins, members::kick, members::leave,
        members::transfer, members::display_name, members::mute_mode, members::push_mode,
        join::invite, join::invitation_list, join::handle_invitation, join::apply,
        join::application_list, join::handle_application, join::qrcode_sign, join::qrcode_invite,
        moderation::ban, moderation::unban, moderation::banned_list, moderation::block,
        moderation::unblock, moderation::blocked_list,
        content::edit_announcement, content::get_announcement, content::last_announcement,
        content::list_announcements, content::delete_announcement, content::upload_file,
        content::list_files, content::get_file, content::rename_file, content::delete_files,
        message::send, message::notify, message::conversation, message::delete_conversation,
        message::unread, message::ack, message::recall,
        file::chat_upload_url, file::forward, file::user_avatar_upload_url,
        file::group_avatar_upload_url, file::upload, file::download_chat, file::download_avatar,
        push_api::notify, push_api::task_detail, push_api::certificate,
    ),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "token", description = "MaxIM §5: user tokens"),
        (name = "user", description = "MaxIM §3: users"),
        (name = "roster", description = "MaxIM §8: friends, applications and blocks"),
        (name = "group", description = "MaxIM §7: groups"),
        (name = "message", description = "MaxIM §6: messages"),
        (name = "file", description = "MaxIM §9: files (and Tidings' upload endpoint)"),
        (name = "push", description = "MaxIM §4: push notifications"),
    )
)]
pub struct ApiDoc;

struct HeaderAuth;

impl Modify for HeaderAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, header) in [("app_id", "app_id"), ("access_token", "access-token")] {
            components.add_security_scheme(
                name,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(header))),
            );
        }
        openapi.security = Some(vec![
            SecurityRequirement::new("app_id", Vec::<String>::new())
                .add("access_token", Vec::<String>::new()),
        ]);
    }
}

/// What the annotations cannot say once for all operations:
/// - operation ids from method and path (`post_user_kick`), unique where one handler serves
///   two methods and where two modules name their handlers alike;
/// - every answer may be a refusal instead (HTTP 200 with `{code, message, data: null}`);
/// - the impersonation headers `user_id` and `group_id` on every operation that takes a
///   token (open operations declare their own `security`).
struct Conform;

impl Modify for Conform {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(mut doc) = serde_json::to_value(&*openapi) else {
            return;
        };
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            for (path, item) in paths.iter_mut() {
                let Some(item) = item.as_object_mut() else {
                    continue;
                };
                for (method, operation) in item.iter_mut() {
                    conform_operation(path, method, operation);
                }
            }
        }
        if let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            for schema in schemas.values_mut() {
                let is_envelope = schema.pointer("/properties/code").is_some()
                    && schema.pointer("/properties/data").is_some();
                if is_envelope {
                    let success = schema.take();
                    *schema = json!({"anyOf": [success, {"$ref": "#/components/schemas/Refusal"}]});
                }
            }
            schemas.insert(
                "Refusal".into(),
                json!({
                    "type": "object",
                    "description": "A refusal: a MaxIM error code, what went wrong, no data.",
                    "required": ["code", "message", "data"],
                    "properties": {
                        "code": {"type": "integer", "format": "int32"},
                        "message": {"type": "string"},
                        "data": {"type": "null"}
                    }
                }),
            );
        }
        match serde_json::from_value(doc) {
            Ok(conformed) => *openapi = conformed,
            Err(e) => tracing::error!(error = %e, "the OpenAPI document did not round-trip"),
        }
    }
}

fn conform_operation(path: &str, method: &str, operation: &mut Value) {
    let id = format!(
        "{method}_{}",
        path.trim_matches('/').replace(['/', '-'], "_")
    );
    operation["operationId"] = json!(id);
    // Declared security without a token requirement: an open operation.
    let open = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|requirements| requirements.iter().all(|r| r.get("access_token").is_none()));
    if open {
        return;
    }
    let headers = [
        ("user_id", "With an admin token: run the call as this user."),
        (
            "group_id",
            "With an admin token: run the call as this group's admin.",
        ),
    ];
    let parameters = operation
        .as_object_mut()
        .map(|o| o.entry("parameters").or_insert_with(|| json!([])));
    if let Some(Value::Array(parameters)) = parameters {
        for (name, description) in headers {
            parameters.push(json!({
                "name": name,
                "in": "header",
                "required": false,
                "description": description,
                "schema": {"type": "integer", "format": "int64"}
            }));
        }
    }
}

/// The document served at `/openapi.json`.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn documented() -> BTreeSet<(String, String)> {
        crate::surface::documents::documented(&ApiDoc::openapi())
    }

    #[test]
    fn the_document_lists_exactly_the_routes_served() {
        crate::surface::documents::assert_lists_exactly(
            &ApiDoc::openapi(),
            crate::maxim::operations(),
        );
    }

    #[test]
    fn the_maxim_user_and_token_sections_are_complete() {
        let maxim = documented()
            .into_iter()
            .filter(|(_, p)| p.starts_with("/user") || p.starts_with("/token"))
            .count();
        assert_eq!(maxim, 69);
    }

    #[test]
    fn the_maxim_roster_section_is_complete() {
        let roster = documented()
            .into_iter()
            .filter(|(_, p)| p.starts_with("/roster"))
            .count();
        assert_eq!(roster, 22);
    }

    #[test]
    fn the_maxim_group_section_is_complete() {
        let groups = documented()
            .into_iter()
            .filter(|(_, p)| p.starts_with("/group"))
            .count();
        assert_eq!(groups, 76);
    }

    #[test]
    fn the_maxim_file_section_is_complete() {
        let files: Vec<_> = documented()
            .into_iter()
            .filter(|(_, p)| p.starts_with("/file/"))
            .collect();
        // The six of MaxIM §9 and Tidings' own upload endpoint.
        assert_eq!(files.len(), 7, "{files:?}");
    }

    #[test]
    fn the_document_matches_the_committed_snapshot() -> anyhow::Result<()> {
        crate::surface::documents::assert_matches_snapshot(&ApiDoc::openapi(), "openapi.json")
    }
}
