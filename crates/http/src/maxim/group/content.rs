//! Announcements and shared files.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_groups::NewFile;
use tidings_groups::model::{Announcement, SharedFile};
use tidings_kernel::GroupId;
use utoipa::{IntoParams, ToSchema};

use super::GroupQuery;
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::maxim::user::{POST_DELETE, POST_PUT};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(
        &[Method::POST],
        "/group/announcement/edit",
        edit_announcement,
    );
    ops.extend(op(&[Method::GET], "/group/announcement", get_announcement));
    ops.extend(op(
        &[Method::GET],
        "/group/announcement/last",
        last_announcement,
    ));
    ops.extend(op(
        &[Method::GET],
        "/group/announcement/list",
        list_announcements,
    ));
    ops.extend(op(
        POST_DELETE,
        "/group/announcement/delete",
        delete_announcement,
    ));
    ops.extend(op(&[Method::POST], "/group/file/upload", upload_file));
    ops.extend(op(&[Method::GET], "/group/file/list", list_files));
    ops.extend(op(&[Method::GET], "/group/file", get_file));
    ops.extend(op(POST_PUT, "/group/file/update_name", rename_file));
    ops.extend(op(POST_DELETE, "/group/file/delete", delete_files));
    ops
}

/// `GroupAnnouncementRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupAnnouncementRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// 1–128 characters.
    pub title: String,
    /// 1–4096 characters.
    pub content: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub announcement_id: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub file_id: i64,
}

/// `Returned result of getting group announcement`.
#[derive(Serialize, ToSchema)]
pub struct AnnouncementDto {
    pub id: i64,
    pub group_id: i64,
    /// The author's user id (0 for an admin token).
    pub author: i64,
    pub title: String,
    pub content: String,
    pub created_at: i64,
}

impl From<Announcement> for AnnouncementDto {
    fn from(a: Announcement) -> Self {
        Self {
            id: a.id,
            group_id: a.group.0,
            author: a.author.0,
            title: a.title,
            content: a.content,
            created_at: a.created_at.0,
        }
    }
}

/// `GroupSharedFileRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupSharedFileRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    pub name: String,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub size: i64,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The file's download URL from the file API.
    pub url: String,
}

/// `GroupSharedFileUpdateRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupSharedFileUpdateRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub file_id: i64,
    pub name: String,
}

/// `GroupSharedFileDeleteRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupSharedFileDeleteRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::ints")]
    pub file_list: Vec<i64>,
}

/// `GroupSharedFileDto`.
#[derive(Serialize, ToSchema)]
pub struct GroupSharedFileDto {
    pub file_id: i64,
    pub group_id: i64,
    pub uploader: i64,
    pub name: String,
    pub size: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<SharedFile> for GroupSharedFileDto {
    fn from(f: SharedFile) -> Self {
        Self {
            file_id: f.id,
            group_id: f.group.0,
            uploader: f.uploader.0,
            name: f.name,
            size: f.size,
            kind: f.kind,
            url: f.url,
            created_at: f.created_at.0,
            updated_at: f.updated_at.0,
        }
    }
}

/// `GroupSharedFileResponse`: one file's outcome.
#[derive(Serialize, ToSchema)]
pub struct GroupSharedFileResponse {
    pub file_id: i64,
    /// `success` or `fail`.
    pub result: &'static str,
    pub reason: Option<String>,
}

/// Publish a new announcement (admins).
#[utoipa::path(post, path = "/group/announcement/edit", tag = "group",
    request_body = GroupAnnouncementRequest, responses((status = 200, body = Envelope<AnnouncementDto>)))]
pub async fn edit_announcement(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupAnnouncementRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let a = state
        .groups
        .announce(&caller.0, GroupId(b.group_id), b.title, b.content)
        .await?;
    ok(AnnouncementDto::from(a))
}

/// One announcement (members); 20020 when there is none.
#[utoipa::path(get, path = "/group/announcement", tag = "group", params(AnnouncementQuery),
    responses((status = 200, body = Envelope<AnnouncementDto>)))]
pub async fn get_announcement(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<AnnouncementQuery>,
) -> ApiResult {
    let a = state
        .groups
        .announcement(&caller.0, GroupId(q.group_id), q.announcement_id)
        .await?;
    ok(AnnouncementDto::from(a))
}

/// The newest announcement (members); 20020 when there is none.
#[utoipa::path(get, path = "/group/announcement/last", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<AnnouncementDto>)))]
pub async fn last_announcement(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<GroupQuery>,
) -> ApiResult {
    let a = state
        .groups
        .last_announcement(&caller.0, GroupId(q.group_id))
        .await?;
    ok(AnnouncementDto::from(a))
}

/// Every announcement, newest first (members).
#[utoipa::path(get, path = "/group/announcement/list", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<Vec<AnnouncementDto>>)))]
pub async fn list_announcements(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<GroupQuery>,
) -> ApiResult {
    let list = state
        .groups
        .announcements(&caller.0, GroupId(q.group_id))
        .await?;
    ok(list
        .into_iter()
        .map(AnnouncementDto::from)
        .collect::<Vec<_>>())
}

/// Delete an announcement (admins); 20020 when there is none.
#[utoipa::path(method(post, delete), path = "/group/announcement/delete", tag = "group",
    params(AnnouncementQuery), responses((status = 200, body = Envelope<bool>)))]
pub async fn delete_announcement(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<AnnouncementQuery>,
) -> ApiResult {
    state
        .groups
        .delete_announcement(&caller.0, GroupId(q.group_id), q.announcement_id)
        .await?;
    done()
}

/// Record a file shared in the group (members), uploaded through the file API.
#[utoipa::path(post, path = "/group/file/upload", tag = "group",
    request_body = GroupSharedFileRequest, responses((status = 200, body = Envelope<GroupSharedFileDto>)))]
pub async fn upload_file(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupSharedFileRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let new = NewFile {
        name: b.name,
        size: b.size,
        kind: b.kind.unwrap_or_default(),
        url: b.url,
    };
    let file = state
        .groups
        .share_file(&caller.0, GroupId(b.group_id), new)
        .await?;
    ok(GroupSharedFileDto::from(file))
}

/// The group's files, newest first (members).
#[utoipa::path(get, path = "/group/file/list", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<Vec<GroupSharedFileDto>>)))]
pub async fn list_files(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    let files = state.groups.files(&caller.0, GroupId(q.group_id)).await?;
    ok(files
        .into_iter()
        .map(GroupSharedFileDto::from)
        .collect::<Vec<_>>())
}

/// One file (members); 20022 when there is none.
#[utoipa::path(get, path = "/group/file", tag = "group", params(FileQuery),
    responses((status = 200, body = Envelope<GroupSharedFileDto>)))]
pub async fn get_file(state: Data<ApiState>, caller: Caller, q: Query<FileQuery>) -> ApiResult {
    let file = state
        .groups
        .file(&caller.0, GroupId(q.group_id), q.file_id)
        .await?;
    ok(GroupSharedFileDto::from(file))
}

/// Rename a file (its uploader or an admin; else 20023).
#[utoipa::path(method(post, put), path = "/group/file/update_name", tag = "group",
    request_body = GroupSharedFileUpdateRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn rename_file(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupSharedFileUpdateRequest>,
) -> ApiResult {
    let b = body.into_inner();
    state
        .groups
        .rename_file(&caller.0, GroupId(b.group_id), b.file_id, b.name)
        .await?;
    done()
}

/// Delete files (each by its uploader or an admin), each on its own.
#[utoipa::path(method(post, delete), path = "/group/file/delete", tag = "group",
    request_body = GroupSharedFileDeleteRequest,
    responses((status = 200, body = Envelope<Vec<GroupSharedFileResponse>>)))]
pub async fn delete_files(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupSharedFileDeleteRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let outcomes = state
        .groups
        .delete_files(&caller.0, GroupId(b.group_id), b.file_list)
        .await?;
    ok(outcomes
        .into_iter()
        .map(|o| GroupSharedFileResponse {
            file_id: o.id,
            result: if o.failure.is_none() {
                "success"
            } else {
                "fail"
            },
            reason: o.failure,
        })
        .collect::<Vec<_>>())
}
