//! MaxIM §9 files: upload URLs, uploads streamed within their kind's limit, downloads for
//! the parties of a conversation only, forwards, avatars, deletion, and S3 (a real S3 server
//! in-process) with presigned redirects.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tidings_objects::Location;
use tidings_objects::testing::S3Server;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::groups::create as create_group;
use crate::support::{Backend, TestApp, api_test, text};

const BOUNDARY: &str = "tidings-test-7d3f";

/// A multipart form as the floo SDKs send it: an echoed parameter, then the file.
fn form(name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nignored\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn path_of(app: &TestApp, url: &str) -> anyhow::Result<String> {
    url.strip_prefix(&app.base)
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{url} is not on {}", app.base))
}

/// Uploads to an upload URL: the HTTP status and the envelope.
async fn upload(
    app: &TestApp,
    dto: &Value,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> anyhow::Result<(StatusCode, Value)> {
    assert_eq!(dto["upload_method"], "POST");
    let path = path_of(app, &text(&dto["upload_url"])?)?;
    app.post(&path)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(name, content_type, bytes))
        .raw()
        .await
}

/// A download with a token (in the headers, or as query parameters): status, headers, bytes.
async fn download(
    app: &TestApp,
    url: &str,
    token: Option<&str>,
    in_query: bool,
) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut request = client.get(url);
    match (token, in_query) {
        (Some(t), true) => {
            request = request.query(&[("app_id", app.app.app_id.as_str()), ("access-token", t)]);
        }
        (Some(t), false) => {
            request = request
                .header("app_id", &app.app.app_id)
                .header("access-token", t);
        }
        (None, _) => request = request.header("app_id", &app.app.app_id),
    }
    let answer = request.send().await?;
    let (status, headers) = (answer.status(), answer.headers().clone());
    Ok((status, headers, answer.bytes().await?.to_vec()))
}

fn code_of(bytes: &[u8]) -> i64 {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v["code"].as_i64())
        .unwrap_or_default()
}

async fn chat_url(
    app: &TestApp,
    token: &str,
    file_type: i64,
    to: i64,
    to_type: i64,
) -> anyhow::Result<Value> {
    app.get("/file/upload/chat")
        .token(token)
        .query(&[
            ("file_type", file_type),
            ("to_id", to),
            ("to_type", to_type),
        ])
        .ok()
        .await
}

async fn chat_files_reach_the_parties_of_their_conversation_only(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (_, tc) = app.user("carol").await?;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let dto = chat_url(app, &ta, 100, bob, 1).await?;
    assert_eq!(dto["oss_body_param"], json!({}));
    let download_url = text(&dto["download_url"])?;
    assert!(download_url.starts_with(&format!("{}/file/download/chat?file_sign=", app.base)));
    // Not readable before it is uploaded.
    assert_eq!(
        download(app, &download_url, Some(&ta), false).await?.0,
        StatusCode::NOT_FOUND
    );
    let (status, v) = upload(app, &dto, "notes <1>.pdf", "application/pdf", &bytes).await?;
    assert_eq!((status, &v["data"]), (StatusCode::OK, &json!(true)), "{v}");
    // The URL works once.
    let (status, v) = upload(app, &dto, "again.pdf", "application/pdf", b"x").await?;
    assert_eq!(
        (status, v["code"].as_i64()),
        (StatusCode::CONFLICT, Some(10002)),
        "{v}"
    );

    // The sender with headers, the peer with query parameters: the same bytes, kept from
    // running in a browser.
    let (status, headers, got) = download(app, &download_url, Some(&ta), false).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(got == bytes, "the bytes came back different");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename*=UTF-8''notes%20%3C1%3E.pdf"
    );
    let (status, _, got) = download(app, &download_url, Some(&tb), true).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(got == bytes);
    // A stranger, no token, another app's token.
    let (status, _, body) = download(app, &download_url, Some(&tc), false).await?;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, 10010));
    let (status, _, body) = download(app, &download_url, None, false).await?;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, 10003));
    // The admin reads everything of its app.
    let (status, _, _) = download(app, &download_url, Some(&app.app.admin_token), false).await?;
    assert_eq!(status, StatusCode::OK);

    // A raster image is shown inline; anything else is an attachment.
    let dto = chat_url(app, &ta, 102, bob, 1).await?;
    upload(app, &dto, "p.png", "image/png", b"\x89PNG....").await?;
    let (_, headers, _) = download(app, &text(&dto["download_url"])?, Some(&tb), false).await?;
    assert_eq!(
        headers["content-disposition"],
        "inline; filename*=UTF-8''p.png"
    );

    // Groups: members only, for the URL and for the file.
    let group = create_group(app, &ta, &[bob]).await?;
    app.get("/file/upload/chat")
        .token(&tc)
        .query(&[("file_type", 100), ("to_id", group), ("to_type", 2)])
        .refused(20011)
        .await?;
    // Shared file types go to groups only; unknown types and targets are refused.
    app.get("/file/upload/chat")
        .token(&ta)
        .query(&[("file_type", 200), ("to_id", bob), ("to_type", 1)])
        .refused(10002)
        .await?;
    app.get("/file/upload/chat")
        .token(&ta)
        .query(&[("file_type", 7), ("to_id", bob), ("to_type", 1)])
        .refused(10002)
        .await?;
    app.get("/file/upload/chat")
        .token(&ta)
        .query(&[("file_type", 100), ("to_id", 1), ("to_type", 1)])
        .refused(10000)
        .await?;
    // Without to_type the id tells.
    let dto = app
        .get("/file/upload/chat")
        .token(&ta)
        .query(&[("file_type", 202), ("to_id", group)])
        .ok()
        .await?;
    upload(app, &dto, "g.png", "image/png", b"group image").await?;
    let url = text(&dto["download_url"])?;
    assert_eq!(
        download(app, &url, Some(&tb), false).await?.2,
        b"group image"
    );
    assert_eq!(
        download(app, &url, Some(&tc), false).await?.0,
        StatusCode::FORBIDDEN
    );
    let _ = ann;
    Ok(())
}
api_test!(chat_files_reach_the_parties_of_their_conversation_only);

async fn upload_urls_are_signed_and_expire(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    let dto = chat_url(app, &ta, 100, bob, 1).await?;
    let url = text(&dto["upload_url"])?;
    // A ticket changed by one character, and one cut short.
    for tampered in [
        format!("{}A", url),
        url.replacen("ticket=", "ticket=x", 1),
        url[..url.len() - 10].to_owned(),
    ] {
        let forged = json!({"upload_url": tampered, "upload_method": "POST"});
        let (status, v) = upload(app, &forged, "a.txt", "text/plain", b"x").await?;
        assert_eq!(
            (status, v["code"].as_i64()),
            (StatusCode::FORBIDDEN, Some(10002)),
            "{v}"
        );
    }
    // Expired (the test server's URLs live one second).
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, v) = upload(app, &dto, "a.txt", "text/plain", b"x").await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text(&v["message"])?.contains("expired"), "{v}");
    // A form without its file.
    let fresh = chat_url(app, &ta, 100, bob, 1).await?;
    let path = path_of(app, &text(&fresh["upload_url"])?)?;
    app.post(&path)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(format!("--{BOUNDARY}--\r\n"))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(upload_urls_are_signed_and_expire, |config| {
    config.files.policy.upload_ttl_ms = 1_000;
});

async fn uploads_over_their_kinds_limit_are_refused_and_keep_nothing(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let dto = app.get("/file/upload/avatar/user").token(&ta).ok().await?;
    let big = vec![7u8; 300 << 10];
    let (status, v) = upload(app, &dto, "me.png", "image/png", &big).await?;
    assert_eq!(
        (status, v["code"].as_i64()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(10002)),
        "{v}"
    );
    let url = text(&dto["download_url"])?;
    assert_eq!(
        download(app, &url, Some(&ta), false).await?.0,
        StatusCode::NOT_FOUND
    );
    // Nothing was left in the file folder either.
    let folder = app.data_dir().join("files");
    let kept = walk(&folder);
    assert!(kept.is_empty(), "{kept:?}");
    // Within the limit, the same URL works (a refused upload does not use it up).
    let (status, _) = upload(app, &dto, "me.png", "image/png", &big[..100 << 10]).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(walk(&folder).len(), 1);
    Ok(())
}
api_test!(
    uploads_over_their_kinds_limit_are_refused_and_keep_nothing,
    |config| {
        config.files.policy.max_avatar_bytes = 128 << 10;
    }
);

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(Result::ok)
                .flat_map(|e| {
                    let p = e.path();
                    if p.is_dir() { walk(&p) } else { vec![p] }
                })
                .collect()
        },
    )
}

async fn avatars_are_for_the_app_and_group_avatars_for_its_admins(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (_, tc) = app.user("carol").await?;
    let group = create_group(app, &ta, &[bob]).await?;
    app.get("/file/upload/avatar/group")
        .token(&tb)
        .query(&[("group_id", group)])
        .refused(20012)
        .await?;
    app.get("/file/upload/avatar/group")
        .token(&tc)
        .query(&[("group_id", group)])
        .refused(20011)
        .await?;
    app.get("/file/upload/avatar/group")
        .token(&ta)
        .query(&[("group_id", 12345)])
        .refused(20001)
        .await?;
    let dto = app
        .get("/file/upload/avatar/group")
        .token(&ta)
        .query(&[("group_id", group)])
        .ok()
        .await?;
    let url = text(&dto["download_url"])?;
    assert!(
        url.contains("/file/download/avatar?object_name=avatar%2F"),
        "{url}"
    );
    upload(app, &dto, "g.webp", "image/webp", b"webp bytes").await?;
    // Anyone of the app reads avatars, a stranger to the group included.
    let (status, headers, got) = download(app, &url, Some(&tc), true).await?;
    assert_eq!(
        (status, got.as_slice()),
        (StatusCode::OK, b"webp bytes".as_slice())
    );
    assert_eq!(headers["content-type"], "image/webp");
    // A user avatar needs a user.
    app.admin(Method::GET, "/file/upload/avatar/user")
        .refused(10010)
        .await?;
    let dto = app
        .admin_as(bob, Method::GET, "/file/upload/avatar/user")
        .ok()
        .await?;
    upload(app, &dto, "b.png", "image/png", b"bob").await?;
    let url = text(&dto["download_url"])?;
    assert_eq!(download(app, &url, Some(&ta), false).await?.2, b"bob");
    // An unknown object.
    let missing = format!(
        "{}/file/download/avatar?object_name=avatar%2Fnone",
        app.base
    );
    assert_eq!(
        download(app, &missing, Some(&ta), false).await?.0,
        StatusCode::NOT_FOUND
    );
    Ok(())
}
api_test!(avatars_are_for_the_app_and_group_avatars_for_its_admins);

async fn a_forward_is_readable_in_its_new_conversation(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (carol, tc) = app.user("carol").await?;
    let (_, td) = app.user("dave").await?;
    let dto = chat_url(app, &ta, 103, bob, 1).await?;
    upload(app, &dto, "v.mp4", "video/mp4", b"video").await?;
    let sign = text(&dto["download_url"])?
        .split("file_sign=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    // Carol cannot forward what she cannot read.
    app.get("/file/upload/forward")
        .token(&tc)
        .query(&[
            ("file_sign", sign.as_str()),
            ("to_id", "1"),
            ("to_type", "1"),
        ])
        .refused(10010)
        .await?;
    let forwarded = app
        .get("/file/upload/forward")
        .token(&tb)
        .query(&[
            ("file_sign", sign.as_str()),
            ("to_id", carol.to_string().as_str()),
            ("to_type", "1"),
        ])
        .ok()
        .await?;
    let url = text(&forwarded)?;
    assert_eq!(download(app, &url, Some(&tc), false).await?.2, b"video");
    assert_eq!(
        download(app, &url, Some(&td), false).await?.0,
        StatusCode::FORBIDDEN
    );
    Ok(())
}
api_test!(a_forward_is_readable_in_its_new_conversation);

async fn deleting_a_user_or_a_group_leaves_their_files_unreadable(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let to_bob = chat_url(app, &ta, 100, bob, 1).await?;
    upload(app, &to_bob, "a.txt", "text/plain", b"for bob").await?;
    let avatar = app.get("/file/upload/avatar/user").token(&ta).ok().await?;
    upload(app, &avatar, "a.png", "image/png", b"ann").await?;
    let group = create_group(app, &tb, &[]).await?;
    let to_group = chat_url(app, &tb, 100, group, 2).await?;
    upload(app, &to_group, "g.txt", "text/plain", b"for the group").await?;
    let urls = [&to_bob, &avatar, &to_group].map(|d| text(&d["download_url"]).unwrap_or_default());
    // Bob forwards another of ann's files to carol: that object stays.
    let (carol, tc) = app.user("carol").await?;
    let forwarded = chat_url(app, &ta, 100, bob, 1).await?;
    upload(app, &forwarded, "f.txt", "text/plain", b"forwarded").await?;
    let sign = text(&forwarded["download_url"])?
        .split("file_sign=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let kept = app
        .get("/file/upload/forward")
        .token(&tb)
        .query(&[
            ("file_sign", sign),
            ("to_id", carol.to_string()),
            ("to_type", "1".into()),
        ])
        .ok()
        .await?;
    let kept = text(&kept)?;
    for url in &urls {
        assert_eq!(
            download(app, url, Some(&tb), false).await?.0,
            StatusCode::OK
        );
    }
    app.post("/user/delete")
        .token(&ta)
        .json(json!({"password": "secret-pw"}))
        .ok()
        .await?;
    for url in &urls[..2] {
        assert_eq!(
            download(app, url, Some(&tb), false).await?.0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        download(app, &urls[2], Some(&tb), false).await?.0,
        StatusCode::OK
    );
    app.post("/group/destroy")
        .token(&tb)
        .query(&[("group_id", group)])
        .ok()
        .await?;
    assert_eq!(
        download(app, &urls[2], Some(&tb), false).await?.0,
        StatusCode::NOT_FOUND
    );
    // Their bytes go too, soon after, except those a forward still names.
    let folder = app.data_dir().join("files");
    let mut left = walk(&folder).len();
    for _ in 0..50 {
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = walk(&folder).len();
    }
    assert_eq!(left, 1, "{:?}", walk(&folder));
    assert_eq!(
        download(app, &kept, Some(&tc), false).await?.2,
        b"forwarded"
    );
    Ok(())
}
api_test!(deleting_a_user_or_a_group_leaves_their_files_unreadable);

/// On S3 (a real S3 server in-process, signatures checked): uploads stored there, downloads
/// answered 302 to a presigned URL that serves the bytes with the file's headers.
async fn on_s3(backend: Backend) -> anyhow::Result<()> {
    let s3 = S3Server::start().await?;
    let settings = s3.settings();
    let Some(app) = TestApp::spawn(backend, move |config| {
        config.files.location = Location::S3(settings);
        config.files.policy.max_image_bytes = 64 << 10;
    })
    .await?
    else {
        return Ok(());
    };
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (_, tc) = app.user("carol").await?;
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 249) as u8).collect();
    let dto = chat_url(&app, &ta, 102, bob, 1).await?;
    let (status, v) = upload(&app, &dto, "photo.jpg", "image/jpeg", &bytes).await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(s3.objects(), 1);
    let url = text(&dto["download_url"])?;
    let (status, headers, _) = download(&app, &url, Some(&tb), false).await?;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers["location"].to_str()?.to_owned();
    assert!(location.starts_with(&s3.endpoint), "{location}");
    let object = reqwest::get(&location).await?;
    assert_eq!(object.status(), StatusCode::OK);
    assert_eq!(object.headers()["content-type"], "image/jpeg");
    assert_eq!(
        object.headers()["content-disposition"],
        "inline; filename*=UTF-8''photo.jpg"
    );
    assert!(object.bytes().await?.to_vec() == bytes);
    // Strangers get no URL; an over-limit image is refused and nothing is left in the bucket.
    assert_eq!(
        download(&app, &url, Some(&tc), false).await?.0,
        StatusCode::FORBIDDEN
    );
    let dto = chat_url(&app, &ta, 102, bob, 1).await?;
    let (status, _) = upload(&app, &dto, "big.jpg", "image/jpeg", &vec![1; 100 << 10]).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s3.objects(), 1);
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_downloads_redirect_to_presigned_urls_on_sqlite() -> anyhow::Result<()> {
    on_s3(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_downloads_redirect_to_presigned_urls_on_postgres() -> anyhow::Result<()> {
    on_s3(Backend::Postgres).await
}

/// A raw connection to the server.
async fn connect(app: &TestApp) -> anyhow::Result<tokio::net::TcpStream> {
    Ok(tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await?)
}

async fn an_upload_cut_off_or_without_a_valid_ticket_keeps_nothing(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let dto = chat_url(app, &ta, 100, bob, 1).await?;
    let path = path_of(app, &text(&dto["upload_url"])?)?;
    let body = form("cut.bin", "application/octet-stream", &vec![9u8; 200_000]);
    let head = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
    };
    // Half the form, then the client goes away.
    let mut raw = connect(app).await?;
    raw.write_all(head(&path).as_bytes()).await?;
    raw.write_all(&body[..100_000]).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(raw);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = text(&dto["download_url"])?;
    assert_eq!(
        download(app, &url, Some(&tb), false).await?.0,
        StatusCode::NOT_FOUND
    );
    // The URL was not used up: the whole upload then works.
    let (status, v) = upload(app, &dto, "whole.bin", "application/octet-stream", b"whole").await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(download(app, &url, Some(&tb), false).await?.2, b"whole");

    // A forged ticket is refused at once, before the body is sent.
    let mut raw = connect(app).await?;
    raw.write_all(head("/file/upload?ticket=forged").as_bytes())
        .await?;
    let mut answer = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), raw.read_exact(&mut answer)).await??;
    assert_eq!(&answer, b"HTTP/1.1 403");
    Ok(())
}
api_test!(an_upload_cut_off_or_without_a_valid_ticket_keeps_nothing);
