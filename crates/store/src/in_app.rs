//! The tenant filter, written once per table: `in_app::users(app)` is every `users` row of
//! one app, and every query of a table with an `app_id` starts from it, so no query can
//! forget the app it runs in. The fragments are diesel `#[dsl::auto_type]` functions: plain
//! query expressions, the same type on both backends, usable in selects, updates and
//! deletes.

use diesel::dsl;
use diesel::prelude::*;

use crate::schema;

/// `users` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn users<'a>(app: &'a str) -> _ {
    schema::users::table.filter(schema::users::app_id.eq(app))
}

/// `devices` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn devices<'a>(app: &'a str) -> _ {
    schema::devices::table.filter(schema::devices::app_id.eq(app))
}

/// `access_tokens` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn access_tokens<'a>(app: &'a str) -> _ {
    schema::access_tokens::table.filter(schema::access_tokens::app_id.eq(app))
}

/// `user_push_tags` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn user_push_tags<'a>(app: &'a str) -> _ {
    schema::user_push_tags::table.filter(schema::user_push_tags::app_id.eq(app))
}

/// `user_open_ids` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn user_open_ids<'a>(app: &'a str) -> _ {
    schema::user_open_ids::table.filter(schema::user_open_ids::app_id.eq(app))
}

/// `roster_entries` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn roster_entries<'a>(app: &'a str) -> _ {
    schema::roster_entries::table.filter(schema::roster_entries::app_id.eq(app))
}

/// `roster_applications` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn roster_applications<'a>(app: &'a str) -> _ {
    schema::roster_applications::table.filter(schema::roster_applications::app_id.eq(app))
}

/// `roster_blocks` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn roster_blocks<'a>(app: &'a str) -> _ {
    schema::roster_blocks::table.filter(schema::roster_blocks::app_id.eq(app))
}

/// `chat_groups` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn chat_groups<'a>(app: &'a str) -> _ {
    schema::chat_groups::table.filter(schema::chat_groups::app_id.eq(app))
}

/// `group_members` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_members<'a>(app: &'a str) -> _ {
    schema::group_members::table.filter(schema::group_members::app_id.eq(app))
}

/// `group_kicks` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_kicks<'a>(app: &'a str) -> _ {
    schema::group_kicks::table.filter(schema::group_kicks::app_id.eq(app))
}

/// `group_blocks` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_blocks<'a>(app: &'a str) -> _ {
    schema::group_blocks::table.filter(schema::group_blocks::app_id.eq(app))
}

/// `group_invitations` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_invitations<'a>(app: &'a str) -> _ {
    schema::group_invitations::table.filter(schema::group_invitations::app_id.eq(app))
}

/// `group_join_requests` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_join_requests<'a>(app: &'a str) -> _ {
    schema::group_join_requests::table.filter(schema::group_join_requests::app_id.eq(app))
}

/// `group_announcements` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_announcements<'a>(app: &'a str) -> _ {
    schema::group_announcements::table.filter(schema::group_announcements::app_id.eq(app))
}

/// `group_files` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn group_files<'a>(app: &'a str) -> _ {
    schema::group_files::table.filter(schema::group_files::app_id.eq(app))
}

/// `messages` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn messages<'a>(app: &'a str) -> _ {
    schema::messages::table.filter(schema::messages::app_id.eq(app))
}

/// `user_positions` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn user_positions<'a>(app: &'a str) -> _ {
    schema::user_positions::table.filter(schema::user_positions::app_id.eq(app))
}

/// `inbox` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn inbox<'a>(app: &'a str) -> _ {
    schema::inbox::table.filter(schema::inbox::app_id.eq(app))
}

/// `conversation_reads` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn conversation_reads<'a>(app: &'a str) -> _ {
    schema::conversation_reads::table.filter(schema::conversation_reads::app_id.eq(app))
}

/// `message_dedup` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn message_dedup<'a>(app: &'a str) -> _ {
    schema::message_dedup::table.filter(schema::message_dedup::app_id.eq(app))
}

/// `message_callbacks` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn message_callbacks<'a>(app: &'a str) -> _ {
    schema::message_callbacks::table.filter(schema::message_callbacks::app_id.eq(app))
}

/// `webhook_outbox` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn webhook_outbox<'a>(app: &'a str) -> _ {
    schema::webhook_outbox::table.filter(schema::webhook_outbox::app_id.eq(app))
}

/// `files` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn files<'a>(app: &'a str) -> _ {
    schema::files::table.filter(schema::files::app_id.eq(app))
}

/// `push_tasks` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn push_tasks<'a>(app: &'a str) -> _ {
    schema::push_tasks::table.filter(schema::push_tasks::app_id.eq(app))
}

/// `push_task_entries` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn push_task_entries<'a>(app: &'a str) -> _ {
    schema::push_task_entries::table.filter(schema::push_task_entries::app_id.eq(app))
}

/// `push_task_counts` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn push_task_counts<'a>(app: &'a str) -> _ {
    schema::push_task_counts::table.filter(schema::push_task_counts::app_id.eq(app))
}

/// `push_credentials` rows of one app.
#[dsl::auto_type(no_type_alias)]
pub(crate) fn push_credentials<'a>(app: &'a str) -> _ {
    schema::push_credentials::table.filter(schema::push_credentials::app_id.eq(app))
}
