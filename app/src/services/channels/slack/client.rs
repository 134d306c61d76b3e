//! Slack's Web API, the calls Switchboard makes: `auth.test` (whose token is
//! this, which team), `chat.postMessage` (a message, or a reply in a thread)
//! and `users.info` (a person's name). The bot token goes in
//! `Authorization: Bearer`; writes send JSON, reads query parameters (Slack
//! takes JSON only for write methods). Slack answers 200 with
//! `"ok": false` and an error code when it refuses, and 429 with
//! `Retry-After` when rate limited. The base is configurable (a test double,
//! a proxy).

use super::super::provider;
use serde::Deserialize;
use std::time::Duration;

/// Slack's API base.
pub const DEFAULT_BASE: &str = "https://slack.com/api/";

/// Slack's Web API for one bot token.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A failed call, for a person.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// What went wrong.
    pub message: String,
    /// Retrying cannot help (refused, not an outage).
    pub permanent: bool,
}

/// Who the token is (`auth.test`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Identity {
    /// The team's id.
    #[serde(default)]
    pub team_id: String,
    /// The team's name.
    #[serde(default)]
    pub team: String,
    /// The bot's user id.
    #[serde(default)]
    pub user_id: String,
}

/// A posted message: where it went (the channel's id) and its `ts`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Posted {
    /// The channel's id (even when posted by name).
    pub channel: String,
    /// The message's timestamp id.
    pub ts: String,
}

/// Slack's codes for its own trouble: retried, not recorded as refusals.
const TRANSIENT: &[&str] = &[
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "unknown_error",
];

/// What Slack's error codes mean, for the person reading the settings page
/// (`needed`: the scope Slack says is missing).
fn explain(code: &str, needed: Option<&str>) -> String {
    if code == "missing_scope" {
        return format!(
            "Slack refused the request (missing_scope): add the {} scope to the bot (OAuth & Permissions) and reinstall the app",
            needed.unwrap_or("chat:write, commands, users:read, channels:history and groups:history")
        );
    }
    let why = match code {
        "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" => {
            "the bot token is wrong or was revoked: paste it again from the app's OAuth & Permissions page"
        }
        "channel_not_found" => "there is no such channel, or the bot cannot see it",
        "not_in_channel" => "the bot is not in that channel: invite it there with /invite @your-bot",
        "is_archived" => "the channel is archived",
        "msg_too_long" => "the message is too long for Slack",
        "ratelimited" => "Slack is limiting how fast the bot may post",
        _ => "",
    };
    if why.is_empty() {
        format!("Slack refused the request ({code})")
    } else {
        format!("Slack refused the request ({code}): {why}")
    }
}

impl Client {
    /// A client for a bot token.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, token: &str) -> Result<Self, String> {
        Ok(Self {
            base: provider::with_slash(base),
            token: token.to_owned(),
            http: provider::http_client()?,
        })
    }

    /// The same client with a shorter limit (inside a webhook Slack wants
    /// answered within three seconds).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn within(&self, limit: Duration) -> Result<Self, String> {
        Ok(Self {
            http: provider::http_client_within(limit)?,
            ..self.clone()
        })
    }

    /// Writes take JSON (`chat.postMessage`); reads take query parameters
    /// (`users.info`, `auth.test`), as Slack documents.
    async fn call(
        &self,
        method: &str,
        body: Option<&serde_json::Value>,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, ApiError> {
        let mut url = format!("{}{method}", self.base);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(v);
        }
        let req = match body {
            Some(b) => self
                .http
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(b.to_string()),
            None => self.http.get(url),
        };
        let r = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| ApiError {
                message: format!("Slack could not be reached: {e}"),
                permanent: false,
            })?;
        let status = r.status();
        if status.as_u16() == 429 {
            let after = r
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            return Err(ApiError {
                message: format!(
                    "Slack is rate limiting the bot (Retry-After: {after} s); the job queue retries"
                ),
                permanent: false,
            });
        }
        if !status.is_success() {
            return Err(ApiError {
                message: format!("Slack answered {status}"),
                permanent: false,
            });
        }
        let v: serde_json::Value = r.json().await.map_err(|e| ApiError {
            message: format!("Slack's answer could not be read: {e}"),
            permanent: false,
        })?;
        if v.get("ok").and_then(serde_json::Value::as_bool) == Some(true) {
            return Ok(v);
        }
        let code = v
            .get("error")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown_error");
        Err(ApiError {
            message: explain(code, v.get("needed").and_then(serde_json::Value::as_str)),
            permanent: !TRANSIENT.contains(&code),
        })
    }

    /// Who the token is.
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn auth_test(&self) -> Result<Identity, ApiError> {
        let v = self.call("auth.test", None, &[]).await?;
        serde_json::from_value(v).map_err(|e| ApiError {
            message: format!("Slack's answer to auth.test could not be read: {e}"),
            permanent: true,
        })
    }

    /// Posts `text` to `channel` (an id or `#name`), in the thread `thread_ts`
    /// when given. Links are not unfurled (a ticket's links are the
    /// customer's, not previews for the team).
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn post(
        &self,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let mut body = serde_json::json!({
            "channel": channel,
            "text": text,
            "unfurl_links": false,
            "unfurl_media": false,
        });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = serde_json::Value::from(ts);
        }
        let v = self.call("chat.postMessage", Some(&body), &[]).await?;
        serde_json::from_value(v).map_err(|e| ApiError {
            message: format!("Slack's answer to chat.postMessage could not be read: {e}"),
            permanent: true,
        })
    }

    /// A person's name as the team shows it (display name, else real name,
    /// else handle).
    ///
    /// # Errors
    /// Unreachable or refused.
    pub async fn user_name(&self, user: &str) -> Result<String, ApiError> {
        if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ApiError {
                message: format!("{user:?} is not a Slack user id"),
                permanent: true,
            });
        }
        let v = self.call("users.info", None, &[("user", user)]).await?;
        let u = &v["user"];
        let pick = |x: &serde_json::Value| {
            x.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(pick(&u["profile"]["display_name"])
            .or_else(|| pick(&u["profile"]["real_name"]))
            .or_else(|| pick(&u["real_name"]))
            .or_else(|| pick(&u["name"]))
            .unwrap_or_else(|| user.to_owned()))
    }
}

/// Slack's `mrkdwn` escaping: `&`, `<` and `>` only (so a customer's text
/// cannot ping `@channel` or forge a link).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack's text back to plain text: entities decoded, `<@U1>` mentions and
/// `<url|label>` links made readable.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        let shown = if !label.is_empty() {
            label.to_owned()
        } else if let Some(u) = target.strip_prefix('@') {
            format!("@{u}")
        } else if let Some(c) = target.strip_prefix('#') {
            format!("#{c}")
        } else if let Some(s) = target.strip_prefix('!') {
            format!("@{s}")
        } else {
            target.to_owned()
        };
        out.push_str(&shown);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_mrkdwn() {
        assert_eq!(
            escape("a < b & <!channel>"),
            "a &lt; b &amp; &lt;!channel&gt;"
        );
        assert_eq!(
            plain("hi <@U1> see <https://x.test/a|the page> &amp; <https://y.test> &lt;3"),
            "hi @U1 see the page & https://y.test <3"
        );
        assert_eq!(plain("<#C1|general> <!here>"), "general @here");
        assert_eq!(plain("open < only"), "open < only");
    }

    #[test]
    fn refusals_say_what_to_do() {
        assert!(explain("not_in_channel", None).contains("/invite"));
        assert!(explain("weird", None).contains("(weird)"));
        assert!(explain("missing_scope", Some("users:read")).contains("add the users:read scope"));
        assert!(!TRANSIENT.contains(&"channel_not_found"));
    }
}
