//! Twilio's Programmable Messaging REST API: send a message (SMS or WhatsApp,
//! free text or an approved template) and fetch incoming media. HTTP Basic
//! with the Account SID and auth token, as Twilio documents; the API base is
//! configurable (a regional edge, a local test double).

use serde::Deserialize;

/// Twilio's own API base.
pub const DEFAULT_BASE: &str = "https://api.twilio.com/";

/// What Twilio answered to a send.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Message SID.
    pub sid: String,
    /// First status (`queued`, `accepted`).
    pub status: String,
    /// Segments, when Twilio counted them.
    pub segments: Option<i32>,
}

/// Why a send failed.
#[derive(Clone, Debug)]
pub struct SendError {
    /// Twilio's error code (`21610` …), when it gave one.
    pub code: Option<String>,
    /// For a person.
    pub message: String,
    /// Retrying cannot help (a 4xx other than 429).
    pub permanent: bool,
}

/// One message to send.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    /// `+1…` or `whatsapp:+1…`.
    pub to: String,
    /// `+1…` or `whatsapp:+1…`.
    pub from: String,
    /// Text (empty for a template).
    pub body: String,
    /// Public media URLs.
    pub media: Vec<String>,
    /// An approved template's Content SID.
    pub content_sid: Option<String>,
    /// The template's variables (`{"1": "Ann"}`).
    pub content_variables: Option<String>,
    /// Where Twilio reports delivery.
    pub status_callback: Option<String>,
}

/// A Twilio account's API.
#[derive(Clone)]
pub struct Client {
    base: String,
    sid: String,
    token: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct MessageResource {
    sid: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorResource {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

fn code_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl Client {
    /// A client for the account.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, sid: &str, token: &str) -> Result<Self, String> {
        Ok(Self {
            base: super::super::provider::with_slash(base),
            sid: sid.to_owned(),
            token: token.to_owned(),
            http: super::super::provider::http_client()?,
        })
    }

    /// The origin (`scheme://host:port`) media URLs must come from.
    pub fn origin(&self) -> String {
        origin_of(&self.base)
    }

    /// `POST /2010-04-01/Accounts/{sid}/Messages.json`.
    ///
    /// # Errors
    /// Twilio's refusal (permanent) or a transport error / 5xx / 429 (transient).
    pub async fn send(&self, m: &Outgoing) -> Result<Sent, SendError> {
        let url = format!(
            "{}2010-04-01/Accounts/{}/Messages.json",
            self.base, self.sid
        );
        let mut form: Vec<(&str, String)> = vec![("To", m.to.clone()), ("From", m.from.clone())];
        if let Some(c) = &m.content_sid {
            form.push(("ContentSid", c.clone()));
            if let Some(v) = &m.content_variables {
                form.push(("ContentVariables", v.clone()));
            }
        } else {
            form.push(("Body", m.body.clone()));
        }
        for u in &m.media {
            form.push(("MediaUrl", u.clone()));
        }
        if let Some(cb) = &m.status_callback {
            form.push(("StatusCallback", cb.clone()));
        }
        let res = self
            .http
            .post(&url)
            .basic_auth(&self.sid, Some(&self.token))
            .form(&form)
            .send()
            .await
            .map_err(|e| SendError {
                code: None,
                message: format!("Twilio could not be reached: {e}"),
                permanent: false,
            })?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if status.is_success() {
            let r: MessageResource = serde_json::from_str(&text).map_err(|e| SendError {
                code: None,
                message: format!("Twilio answered something unexpected: {e}"),
                permanent: false,
            })?;
            return Ok(Sent {
                sid: r.sid,
                status: r.status.unwrap_or_else(|| "queued".into()),
                segments: r.num_segments.as_ref().and_then(|v| match v {
                    serde_json::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                }),
            });
        }
        let e: Option<ErrorResource> = serde_json::from_str(&text).ok();
        let code = e.as_ref().and_then(|e| e.code.as_ref()).and_then(code_text);
        let msg = e
            .and_then(|e| e.message)
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(SendError {
            message: match &code {
                Some(c) => format!("Twilio {c}: {msg}"),
                None => format!("Twilio: {msg}"),
            },
            code,
            permanent: status.is_client_error() && status.as_u16() != 429,
        })
    }

    /// Downloads an incoming message's media (Twilio's media URLs answer HTTP
    /// Basic). Only URLs on the account's API origin are fetched.
    ///
    /// # Errors
    /// Another origin, a transport error, a non-2xx answer, or more than `max` bytes.
    pub async fn media(&self, url: &str, max: usize) -> Result<Vec<u8>, String> {
        if origin_of(url) != self.origin() {
            return Err(format!("media URL {url} is not on {}", self.origin()));
        }
        let mut res = self
            .http
            .get(url)
            .basic_auth(&self.sid, Some(&self.token))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status()));
        }
        let mut out = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if out.len() + chunk.len() > max {
                return Err(format!("larger than {max} bytes"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// `scheme://host[:port]` of a URL (lower-cased), or the URL itself.
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_lowercase();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{}://{}", scheme.to_lowercase(), host.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://api.twilio.com/2010-04-01/x"),
            "https://api.twilio.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:9/"), "http://127.0.0.1:9");
        assert_eq!(
            origin_of("https://API.twilio.com?x"),
            "https://api.twilio.com"
        );
        assert_ne!(
            origin_of("https://api.twilio.com.evil.net/"),
            "https://api.twilio.com"
        );
    }
}
