//! `/app/reports/predictions`: how the satisfaction prediction and the
//! customer health score are computed, and how well the prediction matched the
//! survey answers this workspace really got (`services::reports::predict`).

use crate::components::{ErrorBox, Loading};
use crate::serverfns::reports::get_prediction_check;
use crate::types::PredictionCheck;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The predictions page.
#[component]
pub fn PredictionsPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query.with(|q| {
            q.get("days")
                .and_then(|d| d.parse::<i64>().ok())
                .unwrap_or(90)
        })
    };
    let data = Resource::new(days, get_prediction_check);
    view! {
        <Title text="Predictions"/>
        <header class="page-head">
            <h1>"Predictions"</h1>
            <p class="muted">"Each conversation shows how satisfied its customer probably is before they answer the survey, and each customer a health score with their churn risk. Both are computed from what the conversation and history show, with the weights below. "
                <A href="/app/reports">"Reports"</A></p>
        </header>
        <nav class="digest-days" aria-label="Period">
            {[30, 90, 365].into_iter().map(|d| view! {
                <a href=format!("/app/reports/predictions?days={d}") class=move || if days() == d { "chip chip-on" } else { "chip" }>{format!("Last {d} days")}</a>
            }).collect_view()}
        </nav>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(c) => view! { <Check c/> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Satisfaction before the survey"</h2>
            <p>"The chance the customer rates the conversation 4 or 5 is "<code>"1 / (1 + e^−z)"</code>", where z starts at 1.6 and moves with:"</p>
            <ul class="plain-list">
                <li>"+4.0 × (mean sentiment of the customer's messages − 0.5), and +2.0 × (sentiment of their latest message − 0.5); sentiment is the AI agent's lexicon score, 0 to 1"</li>
                <li>"−0.45 × ln(1 + hours to the first reply), and −0.15 × ln(1 + hours to solve), counting the hours so far while it waits"</li>
                <li>"−0.25 for each customer message beyond two, and −1.2 when the SLA was breached"</li>
            </ul>
            <p class="muted small">"The predicted rating is 1 + 4 × that chance. Above 70 % reads “Likely satisfied”, below 40 % “At risk”."</p>
        </section>
        <section class="card">
            <h2>"Customer health"</h2>
            <p>"Starts at 100, and loses:"</p>
            <ul class="plain-list">
                <li>"6 for each conversation in the last 90 days beyond the first (at most 30), and 5 for each one open now (at most 15)"</li>
                <li>"60 × (0.5 − mean sentiment) when their messages of the last 30 days read negative, and 40 × the fall from the 60 days before"</li>
                <li>"12 × (4 − mean rating) of their last ten survey answers when below 4; a mean above 4 gives back up to 6"</li>
            </ul>
            <p class="muted small">"Churn risk is high below 40, medium below 70, low otherwise."</p>
        </section>
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.0} %", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

#[component]
fn Check(c: PredictionCheck) -> impl IntoView {
    view! {
        <section class="card" data-testid="prediction-check" data-answers=c.answers.to_string()>
            <h2>"How well it predicted real answers"</h2>
            {if c.answers == 0 {
                view! { <p class="muted">"No survey answers in this period yet."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">{format!("{} survey answers of the last {} days, each predicted from the conversation as it was when solved, without its answer.", c.answers, c.days)}</p>
                    <table class="table">
                        <thead><tr><th>"Measure"</th><th>"Prediction"</th><th>"Guessing"</th></tr></thead>
                        <tbody>
                            <tr><td>"Right side (4–5 or 1–3)"</td><td data-testid="check-accuracy">{pct(c.accuracy)}</td><td>{pct(c.baseline_accuracy)}" (always the commoner side)"</td></tr>
                            <tr><td>"Mean error of the rating"</td><td data-testid="check-mae">{num(c.mae)}</td><td>{num(c.baseline_mae)}" (always the mean rating)"</td></tr>
                            <tr><td>"Ranking (AUC: a satisfied answer predicted above an unsatisfied one)"</td><td data-testid="check-auc">{num(c.auc)}</td><td>"0.50"</td></tr>
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
