//! Shared dashboards (`/share/dashboards/{token}`): a dashboard opened by its
//! secret link, signed out, read-only, server-rendered without hydration (the
//! charts are drawn by ECharts through `/charts.js`). Any site may frame it
//! (`frame-ancestors *`), which is how a dashboard is embedded; turning sharing
//! off makes the link answer 404.

use crate::http::ServerState;
use app::pages::helpcenter::esc;
use app::services::reports::dashboards;
use app::services::ServiceError;
use app::types::{ChartKind, WidgetView};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::fmt::Write as _;

/// The share routes.
pub fn router() -> Router<ServerState> {
    Router::new().route("/share/dashboards/{token}", get(dashboard))
}

const CSP: &str = "frame-ancestors *; default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

const STYLE: &str = "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;background:#f5f6fa;color:#1f2333}\
header{padding:16px 24px;display:flex;justify-content:space-between;align-items:baseline;gap:16px}\
h1{font-size:20px;margin:0}.muted{color:#6b7085;font-size:12px}\
.grid{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));grid-auto-rows:80px;gap:12px;padding:0 24px 24px}\
.card{background:#fff;border:1px solid #e3e5ee;border-radius:10px;padding:12px 14px;display:flex;flex-direction:column;min-width:0;overflow:hidden}\
.card h2{font-size:14px;margin:0 0 2px}.chart{flex:1;min-height:0}\
.big{font-size:34px;font-weight:700;margin-top:auto;margin-bottom:auto}\
table{border-collapse:collapse;width:100%;font-size:13px}td,th{padding:4px 6px;border-bottom:1px solid #eef0f5;text-align:left}td.num{text-align:right}\
.scroll{overflow:auto;flex:1}.err{color:#b42318}";

fn card(v: &WidgetView) -> String {
    let w = &v.widget;
    let mut out = format!(
        "<section class=\"card\" data-testid=\"shared-widget\" style=\"grid-column:{} / span {};grid-row:{} / span {}\"><h2>{}</h2>",
        w.x + 1,
        w.w,
        w.y + 1,
        w.h,
        esc(&w.title)
    );
    match &v.result {
        Err(message) => {
            let _ = write!(out, "<p class=\"err\">{}</p>", esc(message));
        }
        Ok(r) => {
            let _ = write!(
                out,
                "<p class=\"muted\">{} · {}</p>",
                esc(&r.period),
                esc(&r.zone)
            );
            match w.spec.chart {
                ChartKind::Number => {
                    let _ = write!(
                        out,
                        "<div class=\"big\">{}</div><p class=\"muted\">{} {}</p>",
                        esc(&r.total),
                        r.total_count,
                        esc(&r.population)
                    );
                }
                ChartKind::Table => {
                    out.push_str("<div class=\"scroll\"><table><tbody>");
                    for p in &r.points {
                        let label = if p.series.is_empty() {
                            p.label.clone()
                        } else {
                            format!("{} · {}", p.label, p.series_label)
                        };
                        let _ = write!(
                            out,
                            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                            esc(&label),
                            esc(&p.shown)
                        );
                    }
                    out.push_str("</tbody></table></div>");
                }
                _ => {
                    let _ = write!(
                        out,
                        "<div class=\"chart\" data-echarts=\"{}\"></div>",
                        esc(&r.chart)
                    );
                }
            }
        }
    }
    out.push_str("</section>");
    out
}

fn page(name: &str, widgets: &[WidgetView]) -> String {
    let cards: String = widgets.iter().map(card).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"/favicon.svg\"><title>{name}</title><style>{STYLE}</style>\
<script src=\"/vendor/echarts.min.js\" defer></script><script src=\"/charts.js\" defer></script></head>\
<body><header><h1>{name}</h1><span class=\"muted\">Shared dashboard · read-only</span></header><main class=\"grid\">{cards}</main></body></html>",
        name = esc(name)
    )
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>Not found</title><p>This dashboard link does not exist or is no longer shared. Ask whoever sent it for a new one.</p>"),
    )
        .into_response()
}

/// `GET /share/dashboards/{token}`.
async fn dashboard(State(s): State<ServerState>, Path(token): Path<String>) -> Response {
    match dashboards::shared(&s.app.db, &token).await {
        Ok((name, widgets)) => (
            [
                (header::CONTENT_SECURITY_POLICY, CSP),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Html(page(&name, &widgets)),
        )
            .into_response(),
        Err(ServiceError::NotFound(_)) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, "shared dashboard");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("Something went wrong on our side. Please try again."),
            )
                .into_response()
        }
    }
}
