//! MaxIM §9, files: upload URLs for chat files, forwards and avatars; the upload itself
//! (Tidings' own endpoint, which the URLs point at); downloads of chat files and avatars.
//!
//! Upload URLs are `POST {base}/file/upload?ticket=…` with multipart form data whose `file`
//! field is the file (what the floo SDKs send to the URL they are given). Downloads take the
//! usual headers, or `app_id` and `access-token` as query parameters (for `<img src>`), and
//! answer with `X-Content-Type-Options: nosniff`, a `Content-Security-Policy` that lets
//! nothing run, and `Content-Disposition: attachment` except for raster images; from S3 they
//! answer 302 to a short-lived presigned URL.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::{Method, StatusCode, header};
use actix_web::web::{self, Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tidings_files::model::{StoredFile, UploadMeta, UploadSlot};
use tidings_files::ports::Fetched;
use tidings_files::{Download, FileError};
use tidings_kernel::{GroupId, Principal, UserId};
use utoipa::{IntoParams, ToSchema};

use crate::maxim::auth::{Caller, authenticate, header as header_value, id_header, parse_app_id};
use crate::maxim::envelope::{ApiResult, Envelope, ok};
use crate::maxim::error::ApiError;
use crate::state::ApiState;
use crate::surface::{Operation, op};

/// How long an upload may go without a byte arriving before it is abandoned.
const UPLOAD_IDLE: Duration = Duration::from_secs(30);
/// The whole upload must arrive within this time plus its kind's size limit at
/// [`MIN_UPLOAD_BYTES_PER_SEC`] (100 MiB: about 55 minutes).
const UPLOAD_GRACE: Duration = Duration::from_secs(60);
const MIN_UPLOAD_BYTES_PER_SEC: u64 = 32 << 10;
/// Form fields other than `file` (the `oss_body_param` an uploader echoes) are read and
/// dropped, up to this many bytes in all.
const MAX_OTHER_FIELDS_BYTES: usize = 64 << 10;
/// Chunks between the request and the file store, each way.
const CHANNEL_CHUNKS: usize = 4;

pub(crate) const UPLOAD_PATH: &str = "/file/upload";

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/file/upload/chat", chat_upload_url);
    ops.extend(op(&[Method::GET], "/file/upload/forward", forward));
    ops.extend(op(
        &[Method::GET],
        "/file/upload/avatar/user",
        user_avatar_upload_url,
    ));
    ops.extend(op(
        &[Method::GET],
        "/file/upload/avatar/group",
        group_avatar_upload_url,
    ));
    ops.push(Operation {
        method: Method::POST,
        path: UPLOAD_PATH,
        route: web::post().to(upload),
    });
    ops.push(Operation {
        method: Method::GET,
        path: "/file/download/chat",
        route: web::get().to(download_chat),
    });
    ops.push(Operation {
        method: Method::GET,
        path: "/file/download/avatar",
        route: web::get().to(download_avatar),
    });
    ops
}

/// `FileUploadDto`: where and how to upload, and the URL the file will be read at.
#[derive(Serialize, ToSchema)]
pub struct FileUploadDto {
    pub upload_url: String,
    /// Always `POST` (multipart form data, the file in the `file` field).
    pub upload_method: String,
    /// Form fields to send beside the file: none.
    pub oss_body_param: std::collections::BTreeMap<String, String>,
    pub download_url: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatUploadQuery {
    /// 100 file, 101 amr voice, 102 image, 103 video, 104 mp3 voice; 200–203 a group's
    /// shared file, voice, image, video.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub file_type: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub to_id: i64,
    /// 1 user, 2 group; told from `to_id` when absent.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub to_type: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForwardQuery {
    /// The `file_sign` of a chat file the caller may read.
    pub file_sign: String,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub to_id: i64,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub to_type: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupAvatarQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
}

/// Tidings' upload endpoint: the signed ticket of an upload URL.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    pub ticket: String,
}

/// A chat file download; the other parameters of the original (`image_type`, `w`, `h`,
/// `format`, `source`, `sdk_sign`, `store_token`) are accepted and ignored.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatDownloadQuery {
    pub file_sign: String,
    /// The app, when the `app_id` header cannot be sent.
    pub app_id: Option<String>,
    /// The token, when the `access-token` header cannot be sent.
    #[serde(rename = "access-token")]
    #[param(rename = "access-token")]
    pub access_token: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvatarDownloadQuery {
    pub object_name: String,
    pub app_id: Option<String>,
    #[serde(rename = "access-token")]
    #[param(rename = "access-token")]
    pub access_token: Option<String>,
}

fn to_type(raw: Option<i64>) -> Result<Option<i32>, ApiError> {
    raw.map(|t| i32::try_from(t).map_err(|_| ApiError::bad_parameter("to_type must be 1 or 2")))
        .transpose()
}

/// The public base of the URLs handed out: `TIDINGS_PUBLIC_URL`, else `http://` and the
/// request's `Host`.
pub struct UrlBase(String);

impl actix_web::FromRequest for UrlBase {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let configured = req
            .app_data::<Data<ApiState>>()
            .and_then(|s| s.public_url.clone());
        let base = configured.unwrap_or_else(|| {
            format!(
                "http://{}",
                header_value(req, "host").unwrap_or("127.0.0.1")
            )
        });
        std::future::ready(Ok(Self(base)))
    }
}

/// A value as it goes into a URL's query (RFC 3986 unreserved characters kept).
fn query_value(value: &str) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

fn chat_download_url(base: &str, file: &StoredFile) -> String {
    format!(
        "{base}/file/download/chat?file_sign={}",
        query_value(&file.sign)
    )
}

fn upload_dto(base: &str, slot: &UploadSlot) -> FileUploadDto {
    let g = &slot.grant;
    let download_url = if g.purpose.is_avatar() {
        format!(
            "{base}/file/download/avatar?object_name={}",
            query_value(&g.object)
        )
    } else {
        format!(
            "{base}/file/download/chat?file_sign={}",
            query_value(&g.sign)
        )
    };
    FileUploadDto {
        upload_url: format!("{base}{UPLOAD_PATH}?ticket={}", query_value(&slot.ticket)),
        upload_method: "POST".into(),
        oss_body_param: std::collections::BTreeMap::new(),
        download_url,
    }
}

/// `GET /file/upload/chat`: an upload URL for a chat file.
#[utoipa::path(get, path = "/file/upload/chat", tag = "file", params(ChatUploadQuery),
    responses((status = 200, body = Envelope<FileUploadDto>)))]
pub async fn chat_upload_url(
    state: Data<ApiState>,
    base: UrlBase,
    caller: Caller,
    q: Query<ChatUploadQuery>,
) -> ApiResult {
    let file_type = i32::try_from(q.file_type)
        .map_err(|_| ApiError::bad_parameter("file_type is not a file type"))?;
    let slot = state
        .files
        .chat_upload(&caller.0, file_type, q.to_id, to_type(q.to_type)?)
        .await?;
    ok(upload_dto(&base.0, &slot))
}

/// `GET /file/upload/forward`: the download URL of a chat file forwarded to another
/// conversation (the same bytes, readable there).
#[utoipa::path(get, path = "/file/upload/forward", tag = "file", params(ForwardQuery),
    responses((status = 200, body = Envelope<String>)))]
pub async fn forward(
    state: Data<ApiState>,
    base: UrlBase,
    caller: Caller,
    q: Query<ForwardQuery>,
) -> ApiResult {
    let q = q.into_inner();
    let file = state
        .files
        .forward(&caller.0, &q.file_sign, q.to_id, to_type(q.to_type)?)
        .await?;
    ok(chat_download_url(&base.0, &file))
}

/// `GET /file/upload/avatar/user`: an upload URL for the caller's avatar.
#[utoipa::path(get, path = "/file/upload/avatar/user", tag = "file",
    responses((status = 200, body = Envelope<FileUploadDto>)))]
pub async fn user_avatar_upload_url(
    state: Data<ApiState>,
    base: UrlBase,
    caller: Caller,
) -> ApiResult {
    let slot = state.files.user_avatar_upload(&caller.0).await?;
    ok(upload_dto(&base.0, &slot))
}

/// `GET /file/upload/avatar/group`: an upload URL for a group's avatar (its admins).
#[utoipa::path(get, path = "/file/upload/avatar/group", tag = "file", params(GroupAvatarQuery),
    responses((status = 200, body = Envelope<FileUploadDto>)))]
pub async fn group_avatar_upload_url(
    state: Data<ApiState>,
    base: UrlBase,
    caller: Caller,
    q: Query<GroupAvatarQuery>,
) -> ApiResult {
    let slot = state
        .files
        .group_avatar_upload(&caller.0, GroupId(q.group_id))
        .await?;
    ok(upload_dto(&base.0, &slot))
}

/// `POST /file/upload?ticket=…` (Tidings' own): the file of an upload URL, as multipart form
/// data with the file in the `file` field; `data: true` once it is stored.
#[utoipa::path(post, path = "/file/upload", tag = "file", params(UploadQuery),
    request_body(content_type = "multipart/form-data", content = String,
        description = "The file in the `file` field"),
    security(()),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn upload(
    state: Data<ApiState>,
    req: HttpRequest,
    q: Query<UploadQuery>,
    payload: web::Payload,
) -> HttpResponse {
    match receive(&state, &req, &q.ticket, payload).await {
        Ok(_) => ok(true).map_or_else(
            |e| e.error_response(),
            |r| actix_web::Responder::respond_to(r, &req),
        ),
        Err(e) => e.error_response(),
    }
}

async fn receive(
    state: &ApiState,
    req: &HttpRequest,
    ticket: &str,
    payload: web::Payload,
) -> Result<StoredFile, ApiError> {
    // The ticket first: a client without one is refused before it may send anything more.
    let checked = state.files.check_ticket(ticket).map_err(upload_refusal)?;
    // Bounded uploads at once on this node: each holds up to a few MiB while it streams.
    let Ok(_slot) = state.uploads.clone().try_acquire_owned() else {
        return Err(ApiError::from(crate::limits::Refused {
            what: "too many uploads at once on this server",
            retry_after: Duration::from_secs(1),
        }));
    };
    // However slowly it trickles in, the whole form must arrive by a deadline that allows
    // the kind's largest file at a slow mobile rate.
    let limit = state.files.policy().limit(checked.grant().purpose);
    let deadline = tokio::time::Instant::now()
        + UPLOAD_GRACE
        + Duration::from_secs(limit / MIN_UPLOAD_BYTES_PER_SEC);
    let idle = || tokio::time::Instant::now() + UPLOAD_IDLE;
    let mut form = Multipart::new(req.headers(), payload);
    let mut other_bytes = 0usize;
    loop {
        let field = tokio::time::timeout_at(idle().min(deadline), form.next()).await;
        let Some(field) = arrived(field, "form part")? else {
            break;
        };
        let mut field = field.map_err(|e| ApiError::bad_parameter(format!("bad form: {e}")))?;
        let disposition = field.content_disposition().cloned();
        let is_file = disposition
            .as_ref()
            .and_then(|d| d.get_name())
            .is_some_and(|n| n == "file");
        if !is_file {
            loop {
                let chunk = tokio::time::timeout_at(idle().min(deadline), field.next()).await;
                let Some(chunk) = arrived(chunk, "form field")? else {
                    break;
                };
                let chunk = chunk.map_err(|e| ApiError::bad_parameter(format!("bad form: {e}")))?;
                other_bytes += chunk.len();
                if other_bytes > MAX_OTHER_FIELDS_BYTES {
                    return Err(ApiError::bad_parameter(
                        "the form's fields other than `file` are too large",
                    ));
                }
            }
            continue;
        }
        let meta = UploadMeta {
            name: disposition
                .as_ref()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_owned(),
            content_type: field.content_type().map(ToString::to_string),
        };
        // The file store runs on the multi-thread runtime; the form is read here and handed
        // over chunk by chunk (bounded, so a slow store slows the upload, not memory). The
        // end of the file is said explicitly (`None`): a channel closed without it (this
        // request dropped mid-way: the client went away) fails the upload, never stores a
        // truncated file.
        let (tx, rx) = tokio::sync::mpsc::channel::<Option<std::io::Result<Bytes>>>(CHANNEL_CHUNKS);
        let files = state.files.clone();
        let checked = checked.clone();
        let stored = state.runtime.spawn(async move {
            let body = futures_util::stream::unfold(Some(rx), |rx| async move {
                let mut rx = rx?;
                match rx.recv().await {
                    Some(Some(chunk)) => Some((chunk, Some(rx))),
                    Some(None) => None,
                    None => Some((Err(std::io::Error::other("the upload was cut off")), None)),
                }
            })
            .boxed();
            files.upload(checked, meta, body).await
        });
        loop {
            let waited = tokio::time::timeout_at(idle().min(deadline), field.next()).await;
            let chunk = match waited {
                Ok(Some(Ok(chunk))) => Some(Ok(chunk)),
                Ok(None) => None,
                Ok(Some(Err(e))) => Some(Err(std::io::Error::other(format!("bad form: {e}")))),
                Err(_) => Some(Err(std::io::Error::other(format!(
                    "no bytes arrived within {} s, or past the upload's deadline",
                    UPLOAD_IDLE.as_secs()
                )))),
            };
            let last = !matches!(chunk, Some(Ok(_)));
            // A closed channel: the upload was refused (its answer follows).
            if tx.send(chunk).await.is_err() || last {
                break;
            }
        }
        drop(tx);
        let outcome = stored.await.map_err(|e| ApiError::from_panic(&e))?;
        return outcome.map_err(upload_refusal);
    }
    Err(ApiError::bad_parameter("the form has no `file` field"))
}

/// What a wait for the next part of an upload gave: refused when it timed out.
fn arrived<T>(
    waited: Result<Option<T>, tokio::time::error::Elapsed>,
    what: &str,
) -> Result<Option<T>, ApiError> {
    waited.map_err(|_| {
        ApiError::bad_parameter(format!(
            "the upload stalled: no {what} within {} s, or past its deadline",
            UPLOAD_IDLE.as_secs()
        ))
        .with_status(StatusCode::REQUEST_TIMEOUT)
    })
}

fn upload_refusal(e: FileError) -> ApiError {
    let status = match &e {
        FileError::InvalidInput(_) => StatusCode::BAD_REQUEST,
        FileError::NotFound => StatusCode::NOT_FOUND,
        FileError::BadTicket(_) => StatusCode::FORBIDDEN,
        FileError::AlreadyUploaded => StatusCode::CONFLICT,
        FileError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::OK,
    };
    ApiError::from(e).with_status(status)
}

/// Which file a download names.
enum Wanted {
    Chat(String),
    Avatar(String),
}

/// `GET /file/download/chat`: a chat file, for the parties of its conversation.
#[utoipa::path(get, path = "/file/download/chat", tag = "file", params(ChatDownloadQuery),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream", body = String),
        (status = 302, description = "To the stored object (S3)")))]
pub async fn download_chat(
    state: Data<ApiState>,
    req: HttpRequest,
    q: Query<ChatDownloadQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    let wanted = Wanted::Chat(q.file_sign);
    serve(&state, &req, q.app_id.as_deref(), q.access_token, wanted).await
}

/// `GET /file/download/avatar`: an avatar, for anyone of the app.
#[utoipa::path(get, path = "/file/download/avatar", tag = "file", params(AvatarDownloadQuery),
    responses((status = 200, description = "The avatar's bytes", content_type = "application/octet-stream", body = String),
        (status = 302, description = "To the stored object (S3)")))]
pub async fn download_avatar(
    state: Data<ApiState>,
    req: HttpRequest,
    q: Query<AvatarDownloadQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    let wanted = Wanted::Avatar(q.object_name);
    serve(&state, &req, q.app_id.as_deref(), q.access_token, wanted).await
}

async fn serve(
    state: &ApiState,
    req: &HttpRequest,
    app_id: Option<&str>,
    token: Option<String>,
    wanted: Wanted,
) -> HttpResponse {
    let found = async {
        let principal = download_principal(state, req, app_id, token).await?;
        let files = state.files.clone();
        state
            .runtime
            .spawn(async move {
                match wanted {
                    Wanted::Chat(sign) => files.download_chat(&principal, &sign).await,
                    Wanted::Avatar(object) => files.download_avatar(&principal, &object).await,
                }
            })
            .await
            .map_err(|e| ApiError::from_panic(&e))?
            .map_err(download_refusal)
    };
    answer(state, found.await)
}

/// The caller of a download: the headers, or `app_id` and `access-token` in the query.
async fn download_principal(
    state: &ApiState,
    req: &HttpRequest,
    app_id: Option<&str>,
    token: Option<String>,
) -> Result<Principal, ApiError> {
    let app = parse_app_id(header_value(req, "app_id").or(app_id))?;
    let token = header_value(req, "access-token")
        .map(str::to_owned)
        .or(token);
    let as_user = id_header(req, "user_id")?.map(UserId);
    let as_group = id_header(req, "group_id")?.map(GroupId);
    authenticate(state, app, token, as_user, as_group)
        .await
        .map_err(|e| {
            // A download is read by browsers and players, which look at the status: every
            // refusal of the caller is 401 (a missing or unknown app or token), 403 (a
            // token that may not act so) or the status it has (429, 503).
            let status = match e.status {
                StatusCode::OK if e.code == crate::maxim::error::code::NO_PERMISSION => {
                    StatusCode::FORBIDDEN
                }
                StatusCode::OK => StatusCode::UNAUTHORIZED,
                other => other,
            };
            e.with_status(status)
        })
}

fn download_refusal(e: FileError) -> ApiError {
    let status = match &e {
        FileError::NotFound => StatusCode::NOT_FOUND,
        FileError::NoPermission(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let refusal = ApiError::from(e);
    // A storage outage keeps its 503.
    if refusal.status == StatusCode::OK {
        refusal.with_status(status)
    } else {
        refusal
    }
}

/// What a download answers: the bytes with the headers that keep a browser from running
/// them, or a redirect to the stored object.
fn answer(state: &ApiState, found: Result<Download, ApiError>) -> HttpResponse {
    let download = match found {
        Ok(d) => d,
        Err(e) => return e.error_response(),
    };
    let file = &download.file;
    match download.from {
        Fetched::Redirect(url) => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .finish(),
        Fetched::Bytes(mut stream) => {
            // Read on the multi-thread runtime (where the store lives), sent from here.
            let (tx, mut rx) = tokio::sync::mpsc::channel(CHANNEL_CHUNKS);
            state.runtime.spawn(async move {
                while let Some(chunk) = stream.next().await {
                    if tx.send(chunk).await.is_err() {
                        break;
                    }
                }
            });
            let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    tidings_files::disposition(&file.content_type, &file.name),
                ))
                .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                ))
                .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
                .no_chunking(file.size)
                .streaming(body)
        }
    }
}
