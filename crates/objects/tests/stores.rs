//! The file store on local disk and on a real S3 server (in-process, signatures checked):
//! round trips small and multipart, failed bodies leave nothing, wrong credentials refused.

use bytes::Bytes;
use futures_util::StreamExt as _;
use tidings_files::ports::{ByteStream, Fetched, FileStore};
use tidings_objects::testing::S3Server;
use tidings_objects::{Location, ObjectFiles};

fn body(bytes: Vec<u8>, chunk: usize) -> ByteStream {
    let chunks: Vec<_> = bytes
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(chunks).boxed()
}

/// A body that fails after its first chunk, as an over-limit upload does.
fn failing(first: Vec<u8>) -> ByteStream {
    futures_util::stream::iter([
        Ok(Bytes::from(first)),
        Err(std::io::Error::other("over the limit")),
    ])
    .boxed()
}

async fn read(
    fetched: Option<Fetched>,
) -> anyhow::Result<(Vec<u8>, Option<reqwest::header::HeaderMap>)> {
    match fetched.ok_or_else(|| anyhow::anyhow!("no such object"))? {
        Fetched::Bytes(mut stream) => {
            let mut all = Vec::new();
            while let Some(chunk) = stream.next().await {
                all.extend_from_slice(&chunk?);
            }
            Ok((all, None))
        }
        Fetched::Redirect(url) => {
            let answer = reqwest::get(&url).await?.error_for_status()?;
            let headers = answer.headers().clone();
            Ok((answer.bytes().await?.to_vec(), Some(headers)))
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

async fn round_trips(store: &ObjectFiles) -> anyhow::Result<Option<reqwest::header::HeaderMap>> {
    let small = pattern(1000);
    let size = store
        .put("app/chat/small", "image/png", body(small.clone(), 300))
        .await?;
    assert_eq!(size, 1000);
    let (got, _) = read(store.fetch("app/chat/small", "image/png", "a.png").await?).await?;
    assert_eq!(got, small);
    // Over one part: a multipart upload.
    let large = pattern(11 << 20);
    let size = store
        .put(
            "app/chat/large",
            "application/pdf",
            body(large.clone(), 64 << 10),
        )
        .await?;
    assert_eq!(size, 11 << 20);
    let (got, headers) = read(
        store
            .fetch("app/chat/large", "application/pdf", "报告.pdf")
            .await?,
    )
    .await?;
    assert!(got == large, "the large object came back different");
    // Failed bodies, small and past a part, leave no object.
    assert!(
        store
            .put("app/chat/failed", "text/plain", failing(vec![1; 10]))
            .await
            .is_err()
    );
    assert!(
        store
            .put(
                "app/chat/failed-large",
                "text/plain",
                failing(pattern(6 << 20))
            )
            .await
            .is_err()
    );
    for key in ["app/chat/failed", "app/chat/failed-large"] {
        let fetched = store.fetch(key, "text/plain", "").await;
        let missing = match fetched {
            Err(_) => true,
            Ok(f) => read(f).await.is_err(),
        };
        assert!(missing, "{key} was kept");
    }
    Ok(headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_disk_round_trips_and_keeps_nothing_of_a_failed_upload() -> anyhow::Result<()> {
    let folder = std::env::temp_dir().join(format!("tidings-disk-{}", std::process::id()));
    let store = ObjectFiles::open(&Location::Disk(folder.clone()))?;
    round_trips(&store).await?;
    std::fs::remove_dir_all(folder)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trips_through_presigned_urls_with_the_files_headers() -> anyhow::Result<()> {
    let server = S3Server::start().await?;
    let store = ObjectFiles::open(&Location::S3(server.settings()))?;
    let headers = round_trips(&store).await?.unwrap_or_default();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
    );
    assert_eq!(server.objects(), 2, "only the two stored objects remain");
    // A presigned URL altered is refused by the server's signature check.
    let Some(Fetched::Redirect(url)) = store.fetch("app/chat/small", "image/png", "").await? else {
        anyhow::bail!("S3 downloads are redirects");
    };
    let tampered = url.replace("app/chat/small", "app/chat/large");
    assert!(!reqwest::get(&tampered).await?.status().is_success());
    // Wrong credentials store nothing.
    let wrong = ObjectFiles::open(&Location::S3(server.wrong_settings()))?;
    assert!(
        wrong
            .put("app/chat/x", "text/plain", body(vec![1], 1))
            .await
            .is_err()
    );
    assert_eq!(server.objects(), 2);
    Ok(())
}
