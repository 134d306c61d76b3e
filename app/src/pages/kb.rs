//! `/app/kb`: the knowledge base — articles (search, status), collections and
//! categories, the help center's theme; `/app/kb/articles/:id`: the editor (rich
//! text, draft/published, internal, locale and translations, revisions with diff
//! and restore).

use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::error::AppError;
use crate::serverfns::kb::{
    article_diff, article_revisions, get_article, kb_tree, list_articles, list_brands,
    CreateKbCategory, CreateKbCollection, DeleteArticle, RestoreRevision, SaveArticle, SaveBrand,
};
use crate::types::{
    locale_name, ArticleForm, ArticleView, BrandForm, BrandView, RevisionDiffView, LOCALES,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The knowledge-base home.
#[component]
pub fn KbPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let create_col = ServerAction::<CreateKbCollection>::new();
    let create_cat = ServerAction::<CreateKbCategory>::new();
    let articles = Resource::new(
        move || (query.get(), status.get()),
        |(q, s)| list_articles(q, s),
    );
    let tree = Resource::new(
        move || (create_col.version().get(), create_cat.version().get()),
        |_| kb_tree(),
    );
    let brands = Resource::new(|| (), |()| list_brands());
    let col_err = action_error(create_col.value());
    let cat_err = action_error(create_cat.value());
    view! {
        <Title text="Knowledge base"/>
        <header class="page-head row">
            <div>
                <h1>"Knowledge base"</h1>
                <p class="muted">"Articles power the help center, the chat widget's suggestions and the AI agent's answers. Internal articles are for agents only."</p>
            </div>
            <a class="btn btn-primary" href="/app/kb/articles/new" data-testid="kb-new">"New article"</a>
        </header>
        <div class="kb-layout">
            <section class="card">
                <div class="row filters">
                    <input type="search" placeholder="Search titles" aria-label="Search titles" data-testid="kb-search"
                        on:input=move |ev| query.set(event_target_value(&ev))/>
                    <select aria-label="Status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"All"</option>
                        <option value="published">"Published"</option>
                        <option value="draft">"Drafts"</option>
                    </select>
                </div>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || Suspend::new(async move {
                        match articles.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(l) if l.is_empty() => view! { <Empty title="No articles" hint="Write the first one with New article."/> }.into_any(),
                            Ok(l) => view! {
                                <table class="table" data-testid="kb-articles">
                                    <thead><tr><th>"Title"</th><th>"Category"</th><th>"Languages"</th><th>"Status"</th><th>"Feedback"</th><th>"Views"</th><th>"Updated"</th></tr></thead>
                                    <tbody>
                                        {l.into_iter().map(|a| view! {
                                            <tr>
                                                <td><a href=format!("/app/kb/articles/{}", a.id)>{a.title.clone()}</a>
                                                    {a.internal.then(|| view! { " " <span class="badge">"internal"</span> })}
                                                    {a.parent_id.is_some().then(|| view! { " " <span class="badge">{format!("translation · {}", a.locale)}</span> })}</td>
                                                <td>{a.category.clone()}</td>
                                                <td>{a.locales.join(", ")}</td>
                                                <td><span class=if a.status == "published" { "badge badge-success" } else { "badge" }>{a.status.clone()}</span></td>
                                                <td>{format!("{} helpful · {} not", a.helpful, a.not_helpful)}</td>
                                                <td>{a.views}</td>
                                                <td class="muted small">{fmt_time(&a.updated_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <aside class="stack">
                <section class="card">
                    <h2>"Collections & categories"</h2>
                    <Transition fallback=|| view! { <Loading/> }>
                        {move || Suspend::new(async move {
                            match tree.await {
                                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                Ok(t) => view! {
                                    <ul class="kb-tree" data-testid="kb-tree">
                                        {t.into_iter().map(|c| {
                                            let cid = c.id;
                                            view! {
                                                <li><strong>{c.name.clone()}</strong>
                                                    <ul>{c.categories.iter().map(|k| view! { <li>{k.name.clone()} <span class="muted small">{format!(" · {} articles", k.articles)}</span></li> }).collect_view()}</ul>
                                                    <ActionForm action=create_cat attr:class="inline-form">
                                                        <input type="hidden" name="collection_id" value=cid.to_string()/>
                                                        <input type="hidden" name="description" value=""/>
                                                        <input name="name" placeholder="New category" aria-label="New category name" required=true/>
                                                        <button class="btn btn-small" type="submit">"Add"</button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                    <FormError error=cat_err/>
                    <ActionForm action=create_col attr:class="inline-form">
                        <input type="hidden" name="description" value=""/>
                        <input name="name" placeholder="New collection" aria-label="New collection name" required=true/>
                        <button class="btn btn-small" type="submit">"Add collection"</button>
                    </ActionForm>
                    <FormError error=col_err/>
                </section>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || Suspend::new(async move {
                        match brands.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(b) => b.into_iter().map(|b| view! { <BrandCard b/> }).collect_view().into_any(),
                        }
                    })}
                </Transition>
            </aside>
        </div>
    }
}

/// One help center's theme.
#[component]
fn BrandCard(b: BrandView) -> impl IntoView {
    let save = ServerAction::<SaveBrand>::new();
    let err = action_error(save.value());
    let f = RwSignal::new(BrandForm {
        name: b.name.clone(),
        slug: b.slug.clone(),
        logo_url: b.logo_url.clone().unwrap_or_default(),
        primary_color: b.primary_color.clone(),
        accent_color: b.accent_color.clone(),
        custom_css: b.custom_css.clone(),
        default_locale: b.default_locale.clone(),
        locales: b.locales.join(", "),
        embed_widget: b.widget_key.is_some(),
    });
    let id = b.id;
    let field = move |label: &'static str,
                      get: fn(&BrandForm) -> String,
                      set: fn(&mut BrandForm, String)| {
        view! {
            <div class="field"><label>{label}
                <input type="text" prop:value=move || f.with(get) on:input=move |ev| { let v = event_target_value(&ev); f.update(|x| set(x, v)); }/>
            </label></div>
        }
    };
    view! {
        <section class="card" data-testid="brand-card">
            <h2>"Help center"</h2>
            <p><a href=format!("/help/{}", b.slug) target="_blank" rel="noopener" data-testid="help-center-link">{format!("/help/{}", b.slug)}</a></p>
            <form class="form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(SaveBrand { id, form: f.get_untracked() }); }>
                {field("Name", |x| x.name.clone(), |x, v| x.name = v)}
                {field("URL slug", |x| x.slug.clone(), |x, v| x.slug = v)}
                {field("Logo URL", |x| x.logo_url.clone(), |x, v| x.logo_url = v)}
                {field("Primary colour", |x| x.primary_color.clone(), |x, v| x.primary_color = v)}
                {field("Accent colour", |x| x.accent_color.clone(), |x, v| x.accent_color = v)}
                {field("Default language", |x| x.default_locale.clone(), |x, v| x.default_locale = v)}
                {field("Languages (comma separated)", |x| x.locales.clone(), |x, v| x.locales = v)}
                <div class="field"><label>"Custom CSS"
                    <textarea rows="3" prop:value=move || f.with(|x| x.custom_css.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); f.update(|x| x.custom_css = v); }></textarea></label></div>
                <label class="nowrap"><input type="checkbox" prop:checked=move || f.with(|x| x.embed_widget)
                    on:change=move |ev| { let v = event_target_checked(&ev); f.update(|x| x.embed_widget = v); }/> " Show the chat widget on the help center"</label>
                <div><button class="btn" type="submit">"Save theme"</button></div>
            </form>
            <FormError error=err/>
            {move || save.value().get().and_then(Result::ok).map(|_| view! { <p class="muted small">"Saved."</p> })}
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn exec(cmd: &str, value: Option<&str>) {
    use wasm_bindgen::JsCast;
    if let Some(doc) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
    {
        let _ = match value {
            Some(v) => doc.exec_command_with_show_ui_and_value(cmd, false, v),
            None => doc.exec_command(cmd),
        };
    }
}

#[cfg(not(feature = "hydrate"))]
fn exec(_cmd: &str, _value: Option<&str>) {}

#[cfg(feature = "hydrate")]
fn prompt_url() -> Option<String> {
    web_sys::window()
        .and_then(|w| {
            w.prompt_with_message("Link address (https://…)")
                .ok()
                .flatten()
        })
        .filter(|u| u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
}

#[cfg(not(feature = "hydrate"))]
fn prompt_url() -> Option<String> {
    None
}

/// The article editor (`new` or an id; `?translate=<id>&locale=de` starts a
/// translation).
#[component]
pub fn ArticleEditorPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok()).unwrap_or(0));
    let loaded = Resource::new(
        move || (id(), query.with(|q| q.get("translate"))),
        |(id, translate)| async move {
            let tree = kb_tree().await?;
            let article = if id > 0 {
                Some(get_article(id).await?)
            } else if let Some(parent) = translate.and_then(|t| t.parse::<i32>().ok()) {
                let mut a = get_article(parent).await?;
                a.summary.parent_id = Some(parent);
                a.summary.id = 0;
                Some(a)
            } else {
                None
            };
            Ok::<_, AppError>((tree, article))
        },
    );
    view! {
        <Title text="Article"/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok((tree, article)) => {
                        let locale = query.with_untracked(|q| q.get("locale")).unwrap_or_default();
                        let cats: Vec<(i32, String)> = tree.iter().flat_map(|c| c.categories.iter().map(|k| (k.id, format!("{} › {}", c.name, k.name))).collect::<Vec<_>>()).collect();
                        view! { <Editor cats article locale/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(cats: Vec<(i32, String)>, article: Option<ArticleView>, locale: String) -> impl IntoView {
    let id = article.as_ref().map_or(0, |a| a.summary.id);
    let translating = article.as_ref().is_some_and(|a| a.summary.id == 0);
    let form = RwSignal::new(match &article {
        Some(a) => ArticleForm {
            category_id: a.summary.category_id,
            title: a.summary.title.clone(),
            slug: if translating {
                String::new()
            } else {
                a.summary.slug.clone()
            },
            summary: a.summary.summary.clone(),
            body_html: a.body_html.clone(),
            internal: a.summary.internal,
            publish: a.summary.status == "published",
            locale: if translating {
                locale.clone()
            } else {
                a.summary.locale.clone()
            },
            parent_id: a.summary.parent_id,
            note: String::new(),
        },
        None => ArticleForm {
            category_id: cats.first().map_or(0, |c| c.0),
            locale: "en".into(),
            ..Default::default()
        },
    });
    let initial_html = form.get_untracked().body_html;
    let save = ServerAction::<SaveArticle>::new();
    let delete = ServerAction::<DeleteArticle>::new();
    let err = action_error(save.value());
    let editor = NodeRef::<leptos::html::Div>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(a)) = save.value().get() {
            if id == 0 {
                navigate(
                    &format!("/app/kb/articles/{}", a.summary.id),
                    Default::default(),
                );
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            crate::components::hard_navigate("/app/kb");
        }
    });
    let submit = move |publish: bool| {
        let html = editor
            .get_untracked()
            .map(|e| e.inner_html())
            .unwrap_or_default();
        let mut f = form.get_untracked();
        f.body_html = html;
        f.publish = publish;
        save.dispatch(SaveArticle { id, form: f });
    };
    let field_msg = move |name: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(name))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let current = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::ok)
            .or_else(|| article.clone().filter(|a| a.summary.id > 0))
    });
    let tool = move |label: &'static str,
                     title: &'static str,
                     cmd: &'static str,
                     value: Option<&'static str>| {
        view! {
            <button type="button" class="btn btn-ghost btn-small" title=title aria-label=title
                on:mousedown=move |ev| { ev.prevent_default(); exec(cmd, value); }>{label}</button>
        }
    };
    view! {
        <header class="page-head row">
            <div>
                <p class="muted small"><a href="/app/kb">"Knowledge base"</a> " ›"</p>
                <h1>{move || if id == 0 { if translating { "New translation".to_owned() } else { "New article".to_owned() } } else { form.with(|f| f.title.clone()) }}</h1>
            </div>
            {move || current.get().and_then(|a| a.public_url).map(|u| view! { <a class="btn btn-ghost" href=u target="_blank" rel="noopener" data-testid="kb-view-public">"View in help center"</a> })}
        </header>
        <div class="kb-layout">
            <section class="card">
                <form class="form" on:submit=move |ev| { ev.prevent_default(); submit(form.get_untracked().publish); }>
                    <div class="field"><label for="kb-title">"Title"</label>
                        <input id="kb-title" data-testid="kb-title" required=true prop:value=move || form.with(|f| f.title.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.title = v); }/>
                        {field_msg("title")}</div>
                    <div class="row">
                        <div class="field"><label for="kb-cat">"Category"</label>
                            <select id="kb-cat" disabled=move || form.with(|f| f.parent_id.is_some())
                                on:change=move |ev| { let v = event_target_value(&ev).parse().unwrap_or(0); form.update(|f| f.category_id = v); }>
                                {cats.iter().map(|(cid, name)| { let cid = *cid; view! { <option value=cid.to_string() selected=move || form.with(|f| f.category_id == cid)>{name.clone()}</option> } }).collect_view()}
                            </select>{field_msg("category_id")}</div>
                        <div class="field"><label for="kb-locale">"Language"</label>
                            <select id="kb-locale" data-testid="kb-locale" on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.locale = v); }>
                                {LOCALES.iter().map(|(c, n)| view! { <option value=*c selected=move || form.with(|f| f.locale == *c)>{*n}</option> }).collect_view()}
                            </select>{field_msg("locale")}</div>
                        <div class="field"><label for="kb-slug">"URL slug"</label>
                            <input id="kb-slug" placeholder="made from the title" prop:value=move || form.with(|f| f.slug.clone())
                                on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.slug = v); }/>{field_msg("slug")}</div>
                    </div>
                    <div class="field"><label for="kb-summary">"Summary (search engines show it)"</label>
                        <input id="kb-summary" maxlength="300" prop:value=move || form.with(|f| f.summary.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.summary = v); }/>{field_msg("summary")}</div>
                    <div class="field">
                        <span class="label" id="kb-body-label">"Article"</span>
                        <div class="rte-toolbar" role="toolbar" aria-label="Formatting">
                            {tool("H2", "Heading", "formatBlock", Some("h2"))}
                            {tool("H3", "Subheading", "formatBlock", Some("h3"))}
                            {tool("¶", "Paragraph", "formatBlock", Some("p"))}
                            {tool("B", "Bold", "bold", None)}
                            {tool("I", "Italic", "italic", None)}
                            {tool("• List", "Bulleted list", "insertUnorderedList", None)}
                            {tool("1. List", "Numbered list", "insertOrderedList", None)}
                            <button type="button" class="btn btn-ghost btn-small" title="Link" aria-label="Link"
                                on:mousedown=move |ev| { ev.prevent_default(); if let Some(u) = prompt_url() { exec("createLink", Some(&u)); } }>"Link"</button>
                            {tool("Clear", "Remove formatting", "removeFormat", None)}
                        </div>
                        <div class="rte" contenteditable="true" role="textbox" aria-multiline="true" aria-labelledby="kb-body-label"
                            data-testid="kb-body" node_ref=editor inner_html=initial_html></div>
                        {field_msg("body_html")}
                    </div>
                    <label class="nowrap"><input type="checkbox" data-testid="kb-internal" disabled=move || form.with(|f| f.parent_id.is_some())
                        prop:checked=move || form.with(|f| f.internal)
                        on:change=move |ev| { let v = event_target_checked(&ev); form.update(|f| f.internal = v); }/>
                        " Internal: only agents (and agent assist) see it, never customers"</label>
                    <div class="field"><label for="kb-note">"Revision note (optional)"</label>
                        <input id="kb-note" prop:value=move || form.with(|f| f.note.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.note = v); }/></div>
                    <div class="row">
                        <button class="btn" type="button" data-testid="kb-save-draft" disabled=move || save.pending().get() on:click=move |_| submit(false)>"Save as draft"</button>
                        <button class="btn btn-primary" type="button" data-testid="kb-publish" disabled=move || save.pending().get() on:click=move |_| submit(true)>"Publish"</button>
                        {(id > 0).then(|| view! {
                            <button class="btn btn-danger btn-ghost" type="button" on:click=move |_| { delete.dispatch(DeleteArticle { id }); }>"Delete"</button>
                        })}
                        {move || save.value().get().and_then(Result::ok).map(|a| view! { <span class="muted small" data-testid="kb-saved">{format!("Saved revision {} ({})", a.summary.revision, a.summary.status)}</span> })}
                    </div>
                    <FormError error=err fields=&["title", "category_id", "locale", "slug", "summary", "body_html"]/>
                </form>
            </section>
            <aside class="stack">
                {move || current.get().map(|a| view! { <Translations a/> })}
                {(id > 0).then(|| view! { <Revisions id version=Signal::derive(move || save.version().get())/> })}
            </aside>
        </div>
    }
}

#[component]
fn Translations(a: ArticleView) -> impl IntoView {
    let root = a.summary.parent_id.unwrap_or(a.summary.id);
    let have: Vec<String> = a.summary.locales.clone();
    let missing: Vec<&(&str, &str)> = LOCALES
        .iter()
        .filter(|(c, _)| !have.iter().any(|h| h == c))
        .collect();
    view! {
        <section class="card" data-testid="kb-translations">
            <h2>"Languages"</h2>
            <ul>
                <li><strong>{locale_name(&a.summary.locale).to_owned()}</strong> " (this one)"</li>
                {a.translations.iter().map(|(l, tid)| view! { <li><a href=format!("/app/kb/articles/{tid}")>{locale_name(l).to_owned()}</a></li> }).collect_view()}
            </ul>
            <p class="muted small">"Add a translation:"</p>
            <p class="row wrap">{missing.into_iter().map(|(c, n)| view! {
                <a class="btn btn-ghost btn-small" href=format!("/app/kb/articles/new?translate={root}&locale={c}")>{*n}</a>
            }).collect_view()}</p>
        </section>
    }
}

#[component]
fn Revisions(id: i32, version: Signal<usize>) -> impl IntoView {
    let restore = ServerAction::<RestoreRevision>::new();
    let revs = Resource::new(
        move || (version.get(), restore.version().get()),
        move |_| article_revisions(id),
    );
    let diff = RwSignal::new(None::<Result<RevisionDiffView, AppError>>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = restore.value().get() {
            crate::components::hard_navigate(&format!("/app/kb/articles/{id}"));
        }
    });
    view! {
        <section class="card" data-testid="kb-revisions">
            <h2>"Revisions"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match revs.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(rs) => view! {
                            <ol class="revisions">
                                {rs.iter().map(|r| {
                                    let n = r.number;
                                    view! {
                                        <li data-testid="kb-revision">
                                            <strong>{format!("#{n}")}</strong> " " {r.status.clone()} " · " {r.author.clone()}
                                            <span class="muted small">{format!(" · {}", fmt_time(&r.created_at))}</span>
                                            {(!r.note.is_empty()).then(|| view! { <div class="muted small">{r.note.clone()}</div> })}
                                            <div class="row">
                                                {(n > 1).then(|| view! {
                                                    <button class="btn btn-ghost btn-small" type="button" data-testid="kb-compare"
                                                        on:click=move |_| { leptos::task::spawn_local(async move { diff.set(Some(article_diff(id, n - 1, n).await)); }); }>"Compare with previous"</button>
                                                })}
                                                <button class="btn btn-ghost btn-small" type="button" data-testid="kb-restore"
                                                    on:click=move |_| { restore.dispatch(RestoreRevision { id, number: n }); }>"Restore"</button>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || diff.get().map(|d| match d {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(d) => view! {
                    <div class="diff" data-testid="kb-diff">
                        <p class="small"><strong>{format!("#{} → #{}", d.from, d.to)}</strong>
                            <span class="diff-added">{format!(" +{}", d.added)}</span><span class="diff-removed">{format!(" −{}", d.removed)}</span></p>
                        <pre>{d.lines.into_iter().map(|l| {
                            let (cls, mark) = match l.kind.as_str() { "added" => ("diff-added", "+ "), "removed" => ("diff-removed", "− "), "skip" => ("muted", "  "), _ => ("", "  ") };
                            view! { <div class=cls>{mark}{l.text}</div> }
                        }).collect_view()}</pre>
                    </div>
                }.into_any(),
            })}
        </section>
    }
}
