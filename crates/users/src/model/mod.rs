//! Entities and value types of the users domain. Constructors validate, so a value of
//! these types is always valid ("parse, don't validate").

mod app;
mod device;
mod secret;
mod settings;
mod user;

pub use app::{App, AppCredentials, AppUpdate};
pub use device::{Device, DeviceGuid, Platform};
pub use secret::{PasswordHash, Secret, TokenHash, TokenRecord};
pub use settings::{AuthMode, Hour, SettingsPatch, UserSettings};
pub use user::{
    Birthday, Details, Email, Gender, MAX_PASSWORD_BYTES, Mobile, Password, Profile, ProfileChange,
    User, Username, text_field,
};
