//! Announcements and shared files.

use tidings_kernel::{GroupId, Principal};

use super::{Groups, Outcome, text};
use crate::GroupError;
use crate::model::{Announcement, GroupEventKind, Role, SharedFile};

const TITLE_MAX: usize = 128;
const CONTENT_MAX: usize = 4096;
const FILE_NAME_MAX: usize = 256;
const URL_MAX: usize = 2048;

/// What `/group/file/upload` records.
#[derive(Clone, Debug, Default)]
pub struct NewFile {
    pub name: String,
    pub size: i64,
    pub kind: String,
    pub url: String,
}

impl Groups {
    /// Publishes a new announcement (admins).
    ///
    /// # Errors
    /// 20001; 20012; 10002 for an empty or over-long title or content.
    pub async fn announce(
        &self,
        principal: &Principal,
        id: GroupId,
        title: String,
        content: String,
    ) -> Result<Announcement, GroupError> {
        let title = text("title", title, TITLE_MAX)?;
        let content = text("content", content, CONTENT_MAX)?;
        if title.trim().is_empty() || content.trim().is_empty() {
            return Err(GroupError::invalid("title and content must not be empty"));
        }
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let announcement = Announcement {
            id: self.deps.ids.next_id(),
            group: id,
            author: access.author(),
            title,
            content,
            created_at: self.deps.clock.now(),
        };
        self.deps
            .groups
            .save_announcement(&principal.app, &announcement)
            .await?;
        self.publish(
            &principal.app,
            GroupEventKind::AnnouncementUpdated,
            id,
            access.author(),
            Vec::new(),
            &announcement.id.to_string(),
        )
        .await;
        Ok(announcement)
    }

    /// One announcement (members).
    ///
    /// # Errors
    /// 20001; 20011; 20020 when there is none.
    pub async fn announcement(
        &self,
        principal: &Principal,
        id: GroupId,
        announcement: i64,
    ) -> Result<Announcement, GroupError> {
        self.group_as(principal, id, Role::Member).await?;
        self.deps
            .groups
            .announcement(&principal.app, id, announcement)
            .await?
            .ok_or(GroupError::AnnouncementNotFound)
    }

    /// Every announcement, newest first (members).
    ///
    /// # Errors
    /// 20001; 20011.
    pub async fn announcements(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Vec<Announcement>, GroupError> {
        self.group_as(principal, id, Role::Member).await?;
        Ok(self.deps.groups.announcements(&principal.app, id).await?)
    }

    /// The newest announcement (members).
    ///
    /// # Errors
    /// 20001; 20011; 20020 when there is none.
    pub async fn last_announcement(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Announcement, GroupError> {
        self.announcements(principal, id)
            .await?
            .into_iter()
            .next()
            .ok_or(GroupError::AnnouncementNotFound)
    }

    /// Deletes an announcement (admins).
    ///
    /// # Errors
    /// 20001; 20012; 20020 when there is none.
    pub async fn delete_announcement(
        &self,
        principal: &Principal,
        id: GroupId,
        announcement: i64,
    ) -> Result<(), GroupError> {
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        if !self
            .deps
            .groups
            .delete_announcement(&principal.app, id, announcement)
            .await?
        {
            return Err(GroupError::AnnouncementNotFound);
        }
        self.publish(
            &principal.app,
            GroupEventKind::AnnouncementUpdated,
            id,
            access.author(),
            Vec::new(),
            "",
        )
        .await;
        Ok(())
    }

    /// Records a file shared in the group (members; the bytes were uploaded through the file
    /// API).
    ///
    /// # Errors
    /// 20001; 20011; 10002 for an empty or over-long name or URL, or a negative size.
    pub async fn share_file(
        &self,
        principal: &Principal,
        id: GroupId,
        new: NewFile,
    ) -> Result<SharedFile, GroupError> {
        let name = text("name", new.name, FILE_NAME_MAX)?;
        let url = text("url", new.url, URL_MAX)?;
        let kind = text("type", new.kind, 64)?;
        if name.trim().is_empty() || url.trim().is_empty() || new.size < 0 {
            return Err(GroupError::invalid(
                "name and url must not be empty, size not negative",
            ));
        }
        let uploader = Self::me(principal)?;
        self.group_as(principal, id, Role::Member).await?;
        let now = self.deps.clock.now();
        let file = SharedFile {
            id: self.deps.ids.next_id(),
            group: id,
            uploader,
            name,
            size: new.size,
            kind,
            url,
            created_at: now,
            updated_at: now,
        };
        self.deps.groups.save_file(&principal.app, &file).await?;
        self.publish(
            &principal.app,
            GroupEventKind::FileUploaded,
            id,
            uploader,
            Vec::new(),
            &file.id.to_string(),
        )
        .await;
        Ok(file)
    }

    /// The group's files, newest first (members).
    ///
    /// # Errors
    /// 20001; 20011.
    pub async fn files(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Vec<SharedFile>, GroupError> {
        self.group_as(principal, id, Role::Member).await?;
        Ok(self.deps.groups.files(&principal.app, id).await?)
    }

    /// One file (members).
    ///
    /// # Errors
    /// 20001; 20011; 20022 when there is none.
    pub async fn file(
        &self,
        principal: &Principal,
        id: GroupId,
        file: i64,
    ) -> Result<SharedFile, GroupError> {
        self.group_as(principal, id, Role::Member).await?;
        self.deps
            .groups
            .file(&principal.app, id, file)
            .await?
            .ok_or(GroupError::FileNotFound)
    }

    /// Renames a file (its uploader or an admin).
    ///
    /// # Errors
    /// 20001; 20011; 20022; 20023 for anyone else; 10002 for a bad name.
    pub async fn rename_file(
        &self,
        principal: &Principal,
        id: GroupId,
        file: i64,
        name: String,
    ) -> Result<(), GroupError> {
        let name = text("name", name, FILE_NAME_MAX)?;
        if name.trim().is_empty() {
            return Err(GroupError::invalid("name must not be empty"));
        }
        let (_, access) = self.group_as(principal, id, Role::Member).await?;
        let mut found = self
            .deps
            .groups
            .file(&principal.app, id, file)
            .await?
            .ok_or(GroupError::FileNotFound)?;
        if access.user != Some(found.uploader) && access.need(Role::Admin).is_err() {
            return Err(GroupError::FileNoPermission);
        }
        found.name = name;
        found.updated_at = self.deps.clock.now();
        self.deps.groups.rename_file(&principal.app, &found).await?;
        self.publish(
            &principal.app,
            GroupEventKind::FileUpdated,
            id,
            access.author(),
            Vec::new(),
            &file.to_string(),
        )
        .await;
        Ok(())
    }

    /// Deletes files (each by its uploader or an admin), each on its own.
    ///
    /// # Errors
    /// 20001; 20011; 10002 for an empty or over-long list.
    pub async fn delete_files(
        &self,
        principal: &Principal,
        id: GroupId,
        files: Vec<i64>,
    ) -> Result<Vec<Outcome>, GroupError> {
        if files.is_empty() || files.len() > 500 {
            return Err(GroupError::invalid("file_list must hold 1 to 500 file ids"));
        }
        let (_, access) = self.group_as(principal, id, Role::Member).await?;
        let app = &principal.app;
        let mut outcomes = Vec::with_capacity(files.len());
        for file in files {
            let result = match self.deps.groups.file(app, id, file).await? {
                None => Err(GroupError::FileNotFound),
                Some(found)
                    if access.user != Some(found.uploader) && access.need(Role::Admin).is_err() =>
                {
                    Err(GroupError::FileNoPermission)
                }
                Some(_) => {
                    self.deps.groups.delete_file(app, id, file).await?;
                    self.publish(
                        app,
                        GroupEventKind::FileDeleted,
                        id,
                        access.author(),
                        Vec::new(),
                        &file.to_string(),
                    )
                    .await;
                    Ok(())
                }
            };
            outcomes.push(match result {
                Ok(()) => Outcome::done(file),
                Err(e) => Outcome::failed(file, &e),
            });
        }
        Ok(outcomes)
    }
}
