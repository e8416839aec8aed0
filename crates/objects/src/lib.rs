#![doc = include_str!("../README.md")]

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::{Method, SignedUrlOptions, Signer as _};
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt as _, PutMultipartOptions, PutOptions,
    PutPayload, WriteMultipart,
};
use tidings_files::disposition;
use tidings_files::ports::{ByteStream, Fetched, FileStore};

/// Bytes kept in memory before an upload to S3 becomes a multipart upload, and the size of
/// each part (S3's minimum part size is 5 MiB).
const S3_PART_BYTES: usize = 5 << 20;
/// The same on local disk, where parts have no minimum.
const DISK_PART_BYTES: usize = 1 << 20;
/// Parts of one upload in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// Where the objects live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A folder on local disk.
    Disk(std::path::PathBuf),
    /// An S3 bucket (credentials from the usual `AWS_*` variables, or given here).
    S3(S3Settings),
}

/// An S3-compatible bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// `None` for AWS itself; e.g. `http://127.0.0.1:9000` for a compatible server.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Both or neither: without them, `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub access_key: Option<(String, String)>,
    /// How long a download's presigned URL stays valid.
    pub presign_ttl: Duration,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key.as_ref().map(|(id, _)| id))
            .field("presign_ttl", &self.presign_ttl)
            .finish()
    }
}

/// The file store on [`object_store`]: see the crate docs.
#[derive(Debug, Clone)]
pub struct ObjectFiles {
    store: Arc<dyn ObjectStore>,
    /// S3 only: downloads answer a presigned URL.
    s3: Option<(Arc<AmazonS3>, Duration)>,
}

impl ObjectFiles {
    /// Opens (creating the folder, or checking the settings of) the store.
    ///
    /// # Errors
    /// When the folder cannot be made or the S3 settings are incomplete.
    pub fn open(location: &Location) -> anyhow::Result<Self> {
        match location {
            Location::Disk(folder) => {
                std::fs::create_dir_all(folder).map_err(|e| {
                    anyhow::anyhow!("cannot create the file folder {}: {e}", folder.display())
                })?;
                let disk = LocalFileSystem::new_with_prefix(folder)?.with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(disk),
                    s3: None,
                })
            }
            Location::S3(s) => {
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s.bucket);
                if let Some(endpoint) = &s.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(region) = &s.region {
                    builder = builder.with_region(region);
                }
                if let Some((id, secret)) = &s.access_key {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                }
                let s3 = Arc::new(builder.build()?);
                Ok(Self {
                    store: s3.clone(),
                    s3: Some((s3, s.presign_ttl)),
                })
            }
        }
    }

    fn part_bytes(&self) -> usize {
        if self.s3.is_some() {
            S3_PART_BYTES
        } else {
            DISK_PART_BYTES
        }
    }

    async fn put_multipart(
        &self,
        path: &Path,
        attributes: Attributes,
        first: Bytes,
        mut body: ByteStream,
    ) -> anyhow::Result<u64> {
        let opts = PutMultipartOptions {
            attributes,
            ..PutMultipartOptions::default()
        };
        let upload = self.store.put_multipart_opts(path, opts).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_bytes());
        let mut size = first.len() as u64;
        writer.put(first);
        loop {
            let next = match writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                Ok(()) => body.next().await,
                Err(e) => Some(Err(std::io::Error::other(e))),
            };
            match next {
                Some(Ok(chunk)) => {
                    size += chunk.len() as u64;
                    writer.put(chunk);
                }
                Some(Err(e)) => {
                    if let Err(abort) = writer.abort().await {
                        tracing::warn!(%path, error = %abort, "a failed upload was not aborted");
                    }
                    return Err(e.into());
                }
                None => break,
            }
        }
        writer.finish().await?;
        Ok(size)
    }
}

#[async_trait]
impl FileStore for ObjectFiles {
    async fn put(
        &self,
        key: &str,
        content_type: &str,
        mut body: ByteStream,
    ) -> anyhow::Result<u64> {
        let path = Path::parse(key)?;
        // S3 keeps the media type with the object; on disk the record alone has it.
        let mut attributes = Attributes::new();
        if self.s3.is_some() {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        // Small files in one request; larger ones as a multipart upload, part by part, so
        // memory stays bounded whatever the size.
        let mut buffered = BytesMut::new();
        while buffered.len() < self.part_bytes() {
            match body.next().await {
                Some(chunk) => buffered.extend_from_slice(&chunk?),
                None => {
                    let size = buffered.len() as u64;
                    let opts = PutOptions {
                        attributes,
                        ..PutOptions::default()
                    };
                    self.store
                        .put_opts(&path, PutPayload::from(buffered.freeze()), opts)
                        .await?;
                    return Ok(size);
                }
            }
        }
        self.put_multipart(&path, attributes, buffered.freeze(), body)
            .await
    }

    async fn fetch(
        &self,
        key: &str,
        content_type: &str,
        file_name: &str,
    ) -> anyhow::Result<Option<Fetched>> {
        let path = Path::parse(key)?;
        if let Some((s3, ttl)) = &self.s3 {
            let options = SignedUrlOptions::new().with_query([
                ("response-content-type", content_type.to_owned()),
                (
                    "response-content-disposition",
                    disposition(content_type, file_name),
                ),
            ]);
            let url = s3
                .signed_url_opts(Method::GET, &path, *ttl, &options)
                .await?;
            return Ok(Some(Fetched::Redirect(url.to_string())));
        }
        let got = match self.store.get(&path).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(Fetched::Bytes(
            got.into_stream().map_err(std::io::Error::other).boxed(),
        )))
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Path::parse(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
