//! The voice provider's REST API (Retell's shapes): update the agent, read it
//! back, delete a call's data. Bearer auth with the API key; the base is
//! configurable (a test double, a proxy).

/// Retell's API base.
pub const DEFAULT_BASE: &str = "https://api.retellai.com/";

/// The provider's API for one account.
#[derive(Clone)]
pub struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
}

/// A failed call, for a person.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// What went wrong.
    pub message: String,
    /// Retrying cannot help.
    pub permanent: bool,
}

impl Client {
    /// A client for the account.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, key: &str) -> Result<Self, String> {
        Ok(Self {
            base: super::super::provider::with_slash(base),
            key: key.to_owned(),
            http: super::super::provider::http_client()?,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, ApiError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| ApiError {
            message: format!("the voice provider could not be reached: {e}"),
            permanent: false,
        })?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null));
        }
        let why = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or_else(|| v.get("error_message"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(ApiError {
            message: format!("the voice provider answered {}: {why}", status.as_u16()),
            permanent: status.is_client_error() && status.as_u16() != 429,
        })
    }

    /// `PATCH /update-agent/{agent_id}` with the settings.
    ///
    /// # Errors
    /// The provider's refusal or a transport error.
    pub async fn update_agent(
        &self,
        agent_id: &str,
        settings: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        self.call(
            reqwest::Method::PATCH,
            &format!("update-agent/{agent_id}"),
            Some(settings),
        )
        .await
    }

    /// `DELETE /v2/delete-call/{call_id}`: the call's recording and data. A call
    /// the provider no longer has counts as deleted.
    ///
    /// # Errors
    /// The provider's refusal or a transport error.
    pub async fn delete_call(&self, call_id: &str) -> Result<(), ApiError> {
        match self
            .call(
                reqwest::Method::DELETE,
                &format!("v2/delete-call/{call_id}"),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.message.contains("answered 404") => Ok(()),
            Err(e) => Err(e),
        }
    }
}
