//! Outbound ports of the files domain. Every method is scoped by app.

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use tidings_kernel::{AppId, GroupId, UserId};

use crate::RepoError;
use crate::model::StoredFile;

/// Bytes as they stream in or out of the file store.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// File records.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait FileRepository: Send + Sync {
    /// Records a file about to be uploaded (not readable until [`FileRepository::stored`]):
    /// `false` when its sign is recorded already (the upload URL was used).
    async fn claim(&self, file: &StoredFile) -> Result<bool, RepoError>;
    /// The upload of a claimed file finished: its size; the file becomes readable. `false`
    /// when the record is gone (deleted with its user or group meanwhile).
    async fn stored(&self, app: &AppId, id: i64, size: u64) -> Result<bool, RepoError>;
    /// Forgets a claimed file whose upload failed.
    async fn discard(&self, app: &AppId, id: i64) -> Result<(), RepoError>;
    /// Records `file`, a forward of the stored file `source` (same object, size, type and
    /// name), readable at once; atomically with `source` still being there (`false` when it
    /// is gone: deleted with its user or group meanwhile).
    async fn forward(&self, source: i64, file: &StoredFile) -> Result<bool, RepoError>;
    /// A readable file by its sign.
    async fn by_sign(&self, app: &AppId, sign: &str) -> Result<Option<StoredFile>, RepoError>;
    /// A readable avatar by its object name.
    async fn avatar(&self, app: &AppId, object: &str) -> Result<Option<StoredFile>, RepoError>;
    /// How many records (stored or being uploaded) name an object.
    async fn references(&self, app: &AppId, object: &str) -> Result<i64, RepoError>;
}

/// How a user stands in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Member,
    Admin,
    Owner,
}

/// What files need to know of users and groups.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Parties: Send + Sync {
    async fn user_exists(&self, app: &AppId, user: UserId) -> Result<bool, RepoError>;
    /// Whether a live (not destroyed) group exists.
    async fn group_exists(&self, app: &AppId, group: GroupId) -> Result<bool, RepoError>;
    /// `user`'s standing in a live group, `None` when not a member.
    async fn standing(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<Option<Standing>, RepoError>;
}

/// Where a download is served from.
pub enum Fetched {
    /// The bytes, streamed through the server.
    Bytes(ByteStream),
    /// A short-lived URL of the object itself (a presigned S3 URL).
    Redirect(String),
}

/// The objects' bytes: local disk or S3-compatible storage.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores `body` under `key`, streaming; the body's error ends the upload and nothing is
    /// kept. The size stored.
    async fn put(&self, key: &str, content_type: &str, body: ByteStream) -> anyhow::Result<u64>;
    /// The object under `key`, for a download named `file_name` of `content_type`; `None`
    /// when it is known not to be there.
    async fn fetch(
        &self,
        key: &str,
        content_type: &str,
        file_name: &str,
    ) -> anyhow::Result<Option<Fetched>>;
    /// Deletes the object under `key`; one that is not there is deleted already.
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
}
