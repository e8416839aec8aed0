use thiserror::Error;

/// Everything a push operation can refuse with; each API surface maps the variants to its
/// own codes.
#[derive(Debug, Error)]
pub enum PushError {
    #[error("{0}")]
    InvalidInput(String),
    /// An audience list over [`crate::model::MAX_AUDIENCE`] entries.
    #[error("an audience list may name at most 500 entries")]
    AudienceTooLarge,
    /// An image push without `attachment_url`.
    #[error("an image push needs attachment_url")]
    ImageMissing,
    /// `attachment_url` is not an `http` or `https` URL.
    #[error("attachment_url must be an http or https URL")]
    ImageUrl,
    /// The image does not end with `.jpg`, `.jpeg` or `.png`.
    #[error("the image of a push must be a .jpg, .jpeg or .png file")]
    ImageType,
    /// No channel of the request is available to the app.
    #[error("{0}")]
    NotEnabled(String),
    #[error("{0}")]
    NoPermission(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl PushError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// What a port may fail with.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct RepoError(#[from] pub anyhow::Error);

impl From<RepoError> for PushError {
    fn from(err: RepoError) -> Self {
        Self::Unknown(err.0)
    }
}
