//! Platforms without a notification service Kanka Link speaks to yet: nothing is shown, and the
//! record does not remember it as shown.

pub(crate) fn show_notification(_summary: &str, _body: &str) -> Result<(), String> {
    Err("this platform's notifications are not supported yet".to_owned())
}
