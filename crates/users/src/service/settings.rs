use tidings_kernel::Principal;

use super::Users;
use crate::UserError;
use crate::model::{SettingsPatch, UserSettings};

impl Users {
    /// The caller's settings.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without `user_id`.
    pub async fn settings(&self, principal: &Principal) -> Result<UserSettings, UserError> {
        Ok(self.acting(principal).await?.settings)
    }

    /// Applies a settings patch for the caller and returns the new settings.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] when the patch is refused (nothing is changed then).
    pub async fn update_settings(
        &self,
        principal: &Principal,
        patch: SettingsPatch,
    ) -> Result<UserSettings, UserError> {
        let mut user = self.acting(principal).await?;
        // Validated against the current settings; only the named fields are written.
        user.settings.apply(patch.clone())?;
        if patch != SettingsPatch::default() {
            self.deps
                .users
                .update_settings(&principal.app, user.id, &patch)
                .await?;
        }
        Ok(user.settings)
    }
}
