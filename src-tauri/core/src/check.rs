//! Checks of the setup that spend nothing: no code, no refresh token, no rate-limited API call.

use crate::error::{ErrorCode, Result};
use crate::linker::Linker;
use crate::token_endpoint;

impl Linker {
    /// Asks Kanka whether it accepts this client id and secret (`token_endpoint::probe_client`).
    /// When it does, a "client id or secret refused" error goes: the settings were fixed (or the
    /// refusal came from another process's settings), and the connection, kept all along, works.
    pub(crate) async fn verify_client(&self) -> Result<()> {
        let secret = self.client_secret().await?;
        token_endpoint::probe_client(&self.inner.http, &self.inner.config, &secret).await?;
        if self.record().last_error.is_some_and(|e| e.code == ErrorCode::InvalidClient) {
            self.update_record(|r| r.last_error = r.last_error.take().filter(|e| e.code != ErrorCode::InvalidClient))
                .await?;
        }
        Ok(())
    }
}
