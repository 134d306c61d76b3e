//! The speech-to-text REST API (AssemblyAI's shapes): upload a file, submit
//! a transcript with a webhook, read a transcript back. The key goes in the
//! `Authorization` header as it is (AssemblyAI's scheme, no `Bearer`); the
//! base is configurable (a test double, a proxy, a compatible service).

use super::super::provider;
use serde::Deserialize;

/// AssemblyAI's API base.
pub const DEFAULT_BASE: &str = "https://api.assemblyai.com/";

/// The provider's API for one account.
#[derive(Clone)]
pub struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
    /// Uploads may take minutes (a long recording on a slow line).
    upload_http: reqwest::Client,
}

/// A failed call, for a person.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// What went wrong.
    pub message: String,
    /// Retrying cannot help (refused, not an outage).
    pub permanent: bool,
}

/// What to transcribe and where to say when it is done.
#[derive(Clone, Debug)]
pub struct Submission<'a> {
    /// A URL the provider can fetch the audio from.
    pub audio_url: &'a str,
    /// Our webhook.
    pub webhook_url: &'a str,
    /// The header the webhook must carry, and its value.
    pub webhook_header: (&'a str, &'a str),
    /// Spoken language; None: detected.
    pub language_code: Option<&'a str>,
}

/// A transcript as the provider reports it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Remote {
    /// Its id.
    pub id: String,
    /// `queued`, `processing`, `completed`, `error`.
    pub status: String,
    /// The text, once completed.
    #[serde(default)]
    pub text: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Seconds of audio.
    #[serde(default)]
    pub audio_duration: Option<f64>,
}

impl Client {
    /// A client for the account.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, key: &str) -> Result<Self, String> {
        Ok(Self {
            base: provider::with_slash(base),
            key: key.to_owned(),
            http: provider::http_client()?,
            upload_http: provider::http_client_within(std::time::Duration::from_secs(600))?,
        })
    }

    async fn answer(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<serde_json::Value, ApiError> {
        let r = r.map_err(|e| ApiError {
            message: format!("The transcription service could not be reached: {e}"),
            permanent: false,
        })?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        if status.is_success() {
            return Ok(body);
        }
        let said = body
            .get("error")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("no reason given");
        Err(ApiError {
            message: match status.as_u16() {
                401 | 403 => {
                    format!("The transcription service refused the API key ({status}): {said}")
                }
                _ => format!("The transcription service answered {status}: {said}"),
            },
            permanent: status.is_client_error() && status.as_u16() != 429,
        })
    }

    /// Uploads a file; returns the URL the provider will read it from.
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn upload(&self, bytes: Vec<u8>) -> Result<String, ApiError> {
        let r = self
            .upload_http
            .post(format!("{}v2/upload", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.key)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes)
            .send()
            .await;
        let v = Self::answer(r).await?;
        v.get("upload_url")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError {
                message: "The upload was accepted without an upload_url.".into(),
                permanent: false,
            })
    }

    /// Submits a transcript; returns the provider's id.
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn submit(&self, s: &Submission<'_>) -> Result<String, ApiError> {
        let mut body = serde_json::json!({
            "audio_url": s.audio_url,
            "webhook_url": s.webhook_url,
            "webhook_auth_header_name": s.webhook_header.0,
            "webhook_auth_header_value": s.webhook_header.1,
            "punctuate": true,
            "format_text": true,
        });
        match s.language_code {
            Some(l) => body["language_code"] = l.into(),
            None => body["language_detection"] = true.into(),
        }
        let r = self
            .http
            .post(format!("{}v2/transcript", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.key)
            .json(&body)
            .send()
            .await;
        let v = Self::answer(r).await?;
        v.get("id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError {
                message: "The transcript was accepted without an id.".into(),
                permanent: false,
            })
    }

    /// Reads a transcript.
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn get(&self, id: &str) -> Result<Remote, ApiError> {
        let r = self
            .http
            .get(format!("{}v2/transcript/{id}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.key)
            .send()
            .await;
        let v = Self::answer(r).await?;
        serde_json::from_value(v).map_err(|e| ApiError {
            message: format!("The transcript could not be read: {e}"),
            permanent: false,
        })
    }

    /// Checks the key by listing one transcript.
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn check(&self) -> Result<(), ApiError> {
        let r = self
            .http
            .get(format!("{}v2/transcript?limit=1", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.key)
            .send()
            .await;
        Self::answer(r).await.map(|_| ())
    }
}
