//! The files service: upload URLs for each purpose, the upload itself, forwards and reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use futures_util::StreamExt as _;
use rand::RngCore as _;
use tidings_kernel::{Clock, GroupId, IdGenerator, Principal, UserId};

use crate::model::{
    Conversation, FileType, Purpose, StoredFile, UploadGrant, UploadMeta, UploadSlot,
};
use crate::ports::{ByteStream, Fetched, FileRepository, FileStore, Parties, Standing};
use crate::{FileError, TicketKey};

/// Size limits and how long an upload URL stays valid.
#[derive(Clone, Debug)]
pub struct FilesPolicy {
    /// Chat files other than images: plain files, voice, video (bytes).
    pub max_file_bytes: u64,
    /// Chat images (bytes).
    pub max_image_bytes: u64,
    /// User and group avatars (bytes).
    pub max_avatar_bytes: u64,
    /// How long an upload URL may be used (ms).
    pub upload_ttl_ms: i64,
}

impl Default for FilesPolicy {
    fn default() -> Self {
        Self {
            max_file_bytes: 100 << 20,
            max_image_bytes: 20 << 20,
            max_avatar_bytes: 5 << 20,
            upload_ttl_ms: 60 * 60 * 1000,
        }
    }
}

impl FilesPolicy {
    /// The size limit of a purpose.
    pub fn limit(&self, purpose: Purpose) -> u64 {
        match purpose {
            Purpose::Chat { file_type, .. } if file_type.is_image() => self.max_image_bytes,
            Purpose::Chat { .. } => self.max_file_bytes,
            Purpose::UserAvatar | Purpose::GroupAvatar(_) => self.max_avatar_bytes,
        }
    }
}

/// What the files service is built from.
pub struct FilesDeps {
    pub repo: Arc<dyn FileRepository>,
    pub parties: Arc<dyn Parties>,
    pub store: Arc<dyn FileStore>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub key: TicketKey,
    pub policy: FilesPolicy,
}

/// The files service.
#[derive(Clone)]
pub struct Files {
    deps: Arc<FilesDeps>,
}

/// An upload URL whose ticket checked: only [`Files::check_ticket`] makes one.
#[derive(Clone, Debug)]
pub struct CheckedUpload(UploadGrant);

impl CheckedUpload {
    /// What the upload URL grants.
    pub fn grant(&self) -> &UploadGrant {
        &self.0
    }
}

/// A file ready to be read.
pub struct Download {
    pub file: StoredFile,
    pub from: Fetched,
}

impl Files {
    pub fn new(deps: FilesDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    pub fn policy(&self) -> &FilesPolicy {
        &self.deps.policy
    }

    /// An upload URL for a chat file of `file_type` to `to_id`; `to_type` 1 user, 2 group,
    /// or `None` to tell from the id (user and group ids share one space).
    ///
    /// # Errors
    /// 10002-like [`FileError::InvalidInput`] for an unknown type or a shared type sent to a
    /// user; the target missing; the caller not a member of the group.
    pub async fn chat_upload(
        &self,
        principal: &Principal,
        file_type: i32,
        to_id: i64,
        to_type: Option<i32>,
    ) -> Result<UploadSlot, FileError> {
        let file_type = FileType::from_code(file_type).ok_or_else(|| {
            FileError::invalid(format!("file_type {file_type} is not 100–104 or 200–203"))
        })?;
        let to = self.target(principal, to_id, to_type).await?;
        if file_type.is_shared() && matches!(to, Conversation::User(_)) {
            return Err(FileError::invalid(
                "file types 200–203 are a group's shared files: to_type must be 2",
            ));
        }
        self.slot(principal, Purpose::Chat { file_type, to }, "chat")
    }

    /// An upload URL for the caller's own avatar.
    ///
    /// # Errors
    /// A bare admin token (no user to act as).
    pub async fn user_avatar_upload(&self, principal: &Principal) -> Result<UploadSlot, FileError> {
        if principal.user().is_none() {
            return Err(FileError::NoPermission(
                "a user avatar is uploaded as a user: use a user token or the user_id header"
                    .into(),
            ));
        }
        self.slot(principal, Purpose::UserAvatar, "avatar")
    }

    /// An upload URL for a group's avatar: admins and the owner only.
    ///
    /// # Errors
    /// The group missing; the caller not an admin of it.
    pub async fn group_avatar_upload(
        &self,
        principal: &Principal,
        group: GroupId,
    ) -> Result<UploadSlot, FileError> {
        self.need_group(principal, group, Standing::Admin).await?;
        self.slot(principal, Purpose::GroupAvatar(group), "avatar")
    }

    /// Stores the body of a checked upload URL ([`Files::check_ticket`]), enforcing its
    /// purpose's size limit while streaming.
    ///
    /// # Errors
    /// A URL used already, a body over the limit or broken, a store failure; after any of
    /// them nothing is kept and the record is gone.
    pub async fn upload(
        &self,
        checked: CheckedUpload,
        meta: UploadMeta,
        body: ByteStream,
    ) -> Result<StoredFile, FileError> {
        let d = &self.deps;
        let grant = checked.0;
        let mut file = StoredFile {
            id: d.ids.next_id(),
            app: grant.app,
            sign: grant.sign,
            object: grant.object,
            purpose: grant.purpose,
            uploader: grant.uploader,
            size: 0,
            content_type: media_type(meta.content_type.as_deref()),
            name: clean_name(&meta.name),
            created_at: d.clock.now(),
        };
        if !d.repo.claim(&file).await? {
            return Err(FileError::AlreadyUploaded);
        }
        let limit = d.policy.limit(file.purpose);
        let outcome = Arc::new(BodyOutcome::default());
        let body = limited(body, limit, outcome.clone());
        match d.store.put(&file.key(), &file.content_type, body).await {
            Ok(size) => {
                if d.repo.stored(&file.app, file.id, size).await? {
                    file.size = size;
                    return Ok(file);
                }
                // The record went meanwhile (its user or group was deleted): so do the bytes.
                // A failed delete leaves unreachable bytes, nothing readable.
                let _ = d.store.delete(&file.key()).await;
                Err(FileError::NotFound)
            }
            Err(e) => {
                d.repo.discard(&file.app, file.id).await?;
                if outcome.over.load(Ordering::Relaxed) {
                    return Err(FileError::TooLarge { limit });
                }
                let broken = outcome
                    .broken
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                match broken {
                    // The body failed (cut off, malformed, too slow): the client's doing.
                    Some(why) => Err(FileError::invalid(format!(
                        "the upload did not complete: {why}"
                    ))),
                    None => Err(FileError::Unknown(e.context("the upload was not stored"))),
                }
            }
        }
    }

    /// Checks an upload URL's ticket (its signature and expiry) before anything of the
    /// upload is read: what [`Files::upload`] takes.
    ///
    /// # Errors
    /// [`FileError::BadTicket`].
    pub fn check_ticket(&self, ticket: &str) -> Result<CheckedUpload, FileError> {
        self.deps
            .key
            .verify(ticket, self.deps.clock.now())
            .map(CheckedUpload)
    }

    /// Forwards a chat file the caller may read to another conversation: a new record of the
    /// same object, readable by the new conversation's parties.
    ///
    /// # Errors
    /// The file missing or not readable by the caller; the target as for an upload.
    pub async fn forward(
        &self,
        principal: &Principal,
        sign: &str,
        to_id: i64,
        to_type: Option<i32>,
    ) -> Result<StoredFile, FileError> {
        let source = self.readable_chat_file(principal, sign).await?;
        let Purpose::Chat { file_type, .. } = source.purpose else {
            return Err(FileError::NotFound);
        };
        let to = self.target(principal, to_id, to_type).await?;
        let d = &self.deps;
        let forwarded = StoredFile {
            id: d.ids.next_id(),
            sign: new_sign(),
            purpose: Purpose::Chat { file_type, to },
            uploader: principal.user().unwrap_or(UserId::SYSTEM),
            created_at: d.clock.now(),
            ..source.clone()
        };
        if !d.repo.forward(source.id, &forwarded).await? {
            return Err(FileError::NotFound);
        }
        Ok(forwarded)
    }

    /// A chat file for the caller to download: the parties of its conversation only.
    ///
    /// # Errors
    /// [`FileError::NotFound`]; [`FileError::NoPermission`] for anyone else.
    pub async fn download_chat(
        &self,
        principal: &Principal,
        sign: &str,
    ) -> Result<Download, FileError> {
        let file = self.readable_chat_file(principal, sign).await?;
        self.download(file).await
    }

    /// An avatar for anyone of the app to download.
    ///
    /// # Errors
    /// [`FileError::NotFound`].
    pub async fn download_avatar(
        &self,
        principal: &Principal,
        object: &str,
    ) -> Result<Download, FileError> {
        let file = self
            .deps
            .repo
            .avatar(&principal.app, object)
            .await?
            .ok_or(FileError::NotFound)?;
        self.download(file).await
    }

    async fn download(&self, file: StoredFile) -> Result<Download, FileError> {
        let from = self
            .deps
            .store
            .fetch(&file.key(), &file.content_type, &file.name)
            .await?
            .ok_or(FileError::NotFound)?;
        Ok(Download { file, from })
    }

    async fn readable_chat_file(
        &self,
        principal: &Principal,
        sign: &str,
    ) -> Result<StoredFile, FileError> {
        let d = &self.deps;
        let file = d
            .repo
            .by_sign(&principal.app, sign)
            .await?
            .ok_or(FileError::NotFound)?;
        let Purpose::Chat { to, .. } = file.purpose else {
            return Err(FileError::NotFound);
        };
        if principal.is_admin() {
            return Ok(file);
        }
        let reader = principal.user().unwrap_or(UserId::SYSTEM);
        let party = match to {
            Conversation::User(peer) => reader == peer || reader == file.uploader,
            Conversation::Group(group) => d
                .parties
                .standing(&principal.app, group, reader)
                .await?
                .is_some(),
        };
        if party {
            Ok(file)
        } else {
            Err(FileError::NoPermission(
                "only the parties of its conversation may read this file".into(),
            ))
        }
    }

    async fn target(
        &self,
        principal: &Principal,
        to_id: i64,
        to_type: Option<i32>,
    ) -> Result<Conversation, FileError> {
        let p = &self.deps.parties;
        let to = match to_type {
            Some(1) => Conversation::User(UserId(to_id)),
            Some(2) => Conversation::Group(GroupId(to_id)),
            Some(other) => {
                return Err(FileError::invalid(format!(
                    "to_type {other} is neither 1 (user) nor 2 (group)"
                )));
            }
            None if p.group_exists(&principal.app, GroupId(to_id)).await? => {
                // Known to be a live group: only the caller's rights are left to check.
                let group = GroupId(to_id);
                self.rights(principal, group, Standing::Member).await?;
                return Ok(Conversation::Group(group));
            }
            None => Conversation::User(UserId(to_id)),
        };
        match to {
            Conversation::User(user) => {
                if !p.user_exists(&principal.app, user).await? {
                    return Err(FileError::UserNotFound);
                }
            }
            Conversation::Group(group) => {
                self.need_group(principal, group, Standing::Member).await?;
            }
        }
        Ok(to)
    }

    /// The group is live and the caller stands at least `need` in it.
    async fn need_group(
        &self,
        principal: &Principal,
        group: GroupId,
        need: Standing,
    ) -> Result<(), FileError> {
        if !self
            .deps
            .parties
            .group_exists(&principal.app, group)
            .await?
        {
            return Err(FileError::GroupNotFound);
        }
        self.rights(principal, group, need).await
    }

    /// The caller stands at least `need` in a live group.
    async fn rights(
        &self,
        principal: &Principal,
        group: GroupId,
        need: Standing,
    ) -> Result<(), FileError> {
        let p = &self.deps.parties;
        if let tidings_kernel::Actor::Admin = principal.actor {
            return Ok(());
        }
        if let tidings_kernel::Actor::AdminOfGroup(g) = principal.actor {
            return if g == group {
                Ok(())
            } else {
                Err(FileError::NeedAdmin)
            };
        }
        let user = principal.user().unwrap_or(UserId::SYSTEM);
        match p.standing(&principal.app, group, user).await? {
            Some(s) if s >= need => Ok(()),
            Some(_) => Err(FileError::NeedAdmin),
            None => Err(FileError::NeedMember),
        }
    }

    fn slot(
        &self,
        principal: &Principal,
        purpose: Purpose,
        folder: &str,
    ) -> Result<UploadSlot, FileError> {
        let d = &self.deps;
        let sign = new_sign();
        let grant = UploadGrant {
            app: principal.app.clone(),
            uploader: principal.user().unwrap_or(UserId::SYSTEM),
            purpose,
            object: format!("{folder}/{sign}"),
            sign,
            expires_at: d
                .clock
                .now()
                .millis()
                .saturating_add(d.policy.upload_ttl_ms),
        };
        Ok(UploadSlot {
            ticket: d.key.sign(&grant),
            grant,
        })
    }
}

/// 144 random bits, URL-safe: a file's `file_sign` and the last part of its object name.
fn new_sign() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// The declared media type if it looks like one (`type/subtype`, no parameters kept), else
/// `application/octet-stream`.
fn media_type(declared: Option<&str>) -> String {
    let essence = declared
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((t, sub)) if token(t) && token(sub) => essence,
        _ => "application/octet-stream".into(),
    }
}

/// The file name without any folder part or control characters, at most 255 bytes.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = base.chars().filter(|c| !c.is_control()).collect();
    while clean.len() > 255 {
        clean.pop();
    }
    clean
}

/// How an upload's body ended, when it failed.
#[derive(Default)]
struct BodyOutcome {
    /// It grew past the limit.
    over: AtomicBool,
    /// It failed itself (its error).
    broken: std::sync::Mutex<Option<String>>,
}

/// `body`, ending with an error once it passes `limit` bytes; `outcome` says why it failed.
fn limited(body: ByteStream, limit: u64, outcome: Arc<BodyOutcome>) -> ByteStream {
    let mut seen = 0u64;
    body.map(move |chunk| {
        let chunk = chunk.inspect_err(|e| {
            *outcome
                .broken
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
        })?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > limit {
            outcome.over.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other(format!(
                "the file is over {limit} bytes"
            )));
        }
        Ok(chunk)
    })
    .boxed()
}

#[cfg(test)]
mod tests;
