//! `/app/catalog`: the store's products (variants with SKU, size, colour,
//! price and stock) and categories. Owners and admins edit
//! (`ManageCatalog`); everyone who reads the inbox can look. The filter and
//! the open product are in the address (`?q=tent&c=3&p=12`, `p=new`).

use crate::components::{action_error, Empty, ErrorBox, FormError, Loading};
use crate::serverfns::catalog::{
    get_catalog_product, list_catalog, DeleteCatalogCategory, SaveCatalogCategory,
    SaveCatalogProduct,
};
use crate::types::{money, CatalogPageView, CategoryForm, CategoryRow, ProductEdit, VariantEdit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

fn link(q: &str, c: i32, page: u64, p: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!(
            "q={}",
            q.bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                })
                .collect::<String>()
        ));
    }
    if c > 0 {
        parts.push(format!("c={c}"));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if let Some(p) = p {
        parts.push(format!("p={p}"));
    }
    if parts.is_empty() {
        "/app/catalog".into()
    } else {
        format!("/app/catalog?{}", parts.join("&"))
    }
}

/// The catalog page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let q = use_query_map();
    let search = Memo::new(move |_| q.read().get("q").unwrap_or_default());
    let cat = Memo::new(move |_| {
        q.read()
            .get("c")
            .and_then(|c| c.parse::<i32>().ok())
            .unwrap_or(0)
    });
    let page = Memo::new(move |_| {
        q.read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    });
    let open = Memo::new(move |_| q.read().get("p").filter(|p| !p.is_empty()));
    let changed = RwSignal::new(0_u32);
    let list = Resource::new(
        move || (search.get(), cat.get(), page.get(), changed.get()),
        |(s, c, p, _)| list_catalog(s, c, String::new(), p),
    );
    let typed = RwSignal::new(String::new());
    let navigate = use_navigate();
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        navigate(
            &link(typed.get_untracked().trim(), cat.get_untracked(), 1, None),
            Default::default(),
        );
    };
    view! {
        <Title text="Catalog"/>
        <header class="page-head">
            <h1>"Catalog"</h1>
            <p class="muted">"The products your storefront sells: each with its variants (size, colour), price and stock, in categories. Orders keep what was bought, so changing a price or removing a variant never changes an order."</p>
        </header>
        <form class="list-tools" role="search" on:submit=find>
            <input type="search" aria-label="Find products" placeholder="Product name or SKU"
                prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
            <button class="btn" type="submit">"Find"</button>
        </form>
        {move || open.get().map(|p| view! { <ProductPane key=p search=search.get_untracked() cat=cat.get_untracked() changed/> })}
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <CatalogList v=v search=search.get() cat=cat.get() open=open.get() changed/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CatalogList(
    v: CatalogPageView,
    search: String,
    cat: i32,
    open: Option<String>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let tab = |id: i32, label: String, n: Option<u64>, q: &str| {
        let class = if id == cat { "tab active" } else { "tab" };
        view! {
            <A href=link(q, id, 1, None) attr:class=class>
                {label}{n.map(|n| view! { " "<span class="count">{n}</span> })}
            </A>
        }
    };
    let pages = v.pages;
    let page = v.page;
    let can_manage = v.can_manage;
    let cats = v.categories.clone();
    view! {
        <nav class="tabs" data-testid="catalog-tabs">
            {tab(0, "All".into(), None, &search)}
            {v.categories.iter().map(|c| tab(c.id, c.name.clone(), Some(c.products), &search)).collect_view()}
        </nav>
        {can_manage.then(|| view! {
            <p><A href=link(&search, cat, page, Some("new")) attr:class="btn btn-primary" attr:data-testid="new-product">"New product"</A></p>
        })}
        {if v.rows.is_empty() {
            view! { <Empty title="No products here" hint="Add a product, or look in another category."/> }.into_any()
        } else {
            view! {
                <section class="card">
                    <table class="table" data-testid="catalog">
                        <thead><tr><th>"Product"</th><th>"Category"</th><th class="num">"Variants"</th><th class="num">"Stock"</th><th class="num">"From"</th><th>"Status"</th></tr></thead>
                        <tbody>
                            {v.rows.into_iter().map(|r| {
                                let id = r.id.to_string();
                                let current = open.as_deref() == Some(id.as_str());
                                view! {
                                    <tr data-testid="catalog-row" data-slug=r.slug.clone() class:selected=current>
                                        <td><A href=link(&search, cat, page, Some(&id))>{r.name}</A></td>
                                        <td class="muted">{r.category.unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{r.variants}</td>
                                        <td class="num" class:warn=r.stock < 5>{r.stock}</td>
                                        <td class="num">{r.price_from_minor.map(|p| money(p, &r.currency))}</td>
                                        <td><span class="badge">{if r.status == "active" { "On sale" } else { "Draft" }}</span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(pages > 1).then(|| view! {
                        <nav class="pager">
                            {(page > 1).then(|| view! { <A href=link(&search, cat, page - 1, None)>"← Previous"</A> })}
                            <span class="muted">{format!("Page {page} of {pages}")}</span>
                            {(page < pages).then(|| view! { <A href=link(&search, cat, page + 1, None)>"Next →"</A> })}
                        </nav>
                    })}
                </section>
            }.into_any()
        }}
        {can_manage.then(|| view! { <Categories cats changed/> })}
    }
}

#[component]
fn Categories(cats: Vec<CategoryRow>, changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveCatalogCategory>::new();
    let remove = ServerAction::<DeleteCatalogCategory>::new();
    Effect::new(move |_| {
        if save.version().get() + remove.version().get() > 0 {
            changed.update(|c| *c += 1);
        }
    });
    let name = RwSignal::new(String::new());
    let next = cats.iter().map(|c| c.position).max().unwrap_or(-1) + 1;
    view! {
        <section class="card" data-testid="categories">
            <h2>"Categories"</h2>
            <p class="muted small">"The storefront's navigation, in this order. Removing a category keeps its products, uncategorised."</p>
            <ul class="plain-list">
                {cats.into_iter().map(|c| {
                    let typed = RwSignal::new(c.name.clone());
                    let pos = c.position;
                    let id = c.id;
                    let slug = c.slug.clone();
                    view! {
                        <li data-testid="category-row" data-slug=c.slug.clone()>
                            <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                save.dispatch(SaveCatalogCategory { form: CategoryForm { id: Some(id), name: typed.get_untracked(), slug: slug.clone(), position: pos } });
                            }>
                                <input type="text" aria-label="Category name" maxlength="80" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                                <span class="muted small">{format!("{} product{}", c.products, if c.products == 1 { "" } else { "s" })}</span>
                                <button class="btn" type="submit">"Rename"</button>
                                <button class="btn btn-danger" type="button" on:click=move |_| { remove.dispatch(DeleteCatalogCategory { id }); }>"Remove"</button>
                            </form>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="inline-form" data-testid="add-category" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveCatalogCategory { form: CategoryForm { id: None, name: name.get_untracked(), slug: String::new(), position: next } });
                name.set(String::new());
            }>
                <input type="text" aria-label="New category" placeholder="New category" maxlength="80" required=true prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button class="btn" type="submit">"Add category"</button>
            </form>
            <FormError error=action_error(save.value())/>
            <FormError error=action_error(remove.value())/>
        </section>
    }
}

#[component]
fn ProductPane(key: String, search: String, cat: i32, changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveCatalogProduct>::new();
    let is_new = key == "new";
    let id: i32 = key.parse().unwrap_or(0);
    let product = Resource::new(
        move || (id, changed.get()),
        move |(id, _)| async move {
            if id > 0 {
                get_catalog_product(id).await
            } else {
                Ok(ProductEdit {
                    status: "draft".into(),
                    variants: vec![VariantEdit {
                        price: "0.00".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(p)) = save.value().get() {
            changed.update(|c| *c += 1);
            if is_new {
                if let Some(id) = p.id {
                    navigate(
                        &link(&search, cat, 1, Some(&id.to_string())),
                        Default::default(),
                    );
                }
            }
        }
    });
    let cats = Resource::new(|| (), |()| list_catalog(String::new(), 0, String::new(), 1));
    view! {
        <section class="card product-pane" data-testid="product-pane">
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match (product.await, cats.await) {
                        (Err(e), _) | (_, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                        (Ok(p), Ok(c)) => view! { <ProductForm p categories=c.categories can_manage=c.can_manage save/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProductForm(
    p: ProductEdit,
    categories: Vec<CategoryRow>,
    can_manage: bool,
    save: ServerAction<SaveCatalogProduct>,
) -> impl IntoView {
    let url = p.url.clone();
    let title = if p.id.is_some() {
        p.name.clone()
    } else {
        "New product".to_owned()
    };
    let form = RwSignal::new(ProductEdit {
        variants: Vec::new(),
        ..p.clone()
    });
    let next_key = StoredValue::new(p.variants.len() as u32);
    let rows = RwSignal::new(
        p.variants
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u32, RwSignal::new(v)))
            .collect::<Vec<_>>(),
    );
    let err = action_error(save.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut ProductEdit, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let add = move |_| {
        let k = next_key.get_value();
        next_key.set_value(k + 1);
        rows.update(|r| {
            r.push((
                k,
                RwSignal::new(VariantEdit {
                    price: "0.00".into(),
                    ..Default::default()
                }),
            ))
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut f = form.get_untracked();
        f.variants = rows.with_untracked(|r| r.iter().map(|(_, v)| v.get_untracked()).collect());
        save.dispatch(SaveCatalogProduct { form: f });
    };
    let cat_value = p.category_id.map(|c| c.to_string()).unwrap_or_default();
    view! {
        <header class="order-head">
            <h2>{title}</h2>
            {(!url.is_empty()).then(|| view! { <a class="small" href=url.clone() target="_blank" rel="noopener">"View in the store"</a> })}
        </header>
        <form class="form" data-testid="product-form" on:submit=submit>
            <fieldset class="plain" disabled=!can_manage>
            <label for="pr-name">"Name"</label>
            <input id="pr-name" type="text" required=true maxlength="200" prop:value=move || form.with(|f| f.name.clone()) on:input=set(|f, v| f.name = v)/>
            {field_msg("name")}
            <label for="pr-slug">"Address (empty: made from the name)"</label>
            <input id="pr-slug" type="text" maxlength="80" prop:value=move || form.with(|f| f.slug.clone()) on:input=set(|f, v| f.slug = v)/>
            {field_msg("slug")}
            <label for="pr-cat">"Category"</label>
            <select id="pr-cat" prop:value=cat_value on:change=set(|f, v| f.category_id = v.parse().ok())>
                <option value="">"None"</option>
                {categories.iter().map(|c| view! { <option value=c.id.to_string()>{c.name.clone()}</option> }).collect_view()}
            </select>
            {field_msg("category_id")}
            <label for="pr-status">"Status"</label>
            <select id="pr-status" prop:value=p.status.clone() on:change=set(|f, v| f.status = v)>
                <option value="active">"On sale"</option>
                <option value="draft">"Draft (not in the store)"</option>
            </select>
            <label for="pr-desc">"Description"</label>
            <textarea id="pr-desc" rows="5" maxlength="10000" prop:value=move || form.with(|f| f.description.clone()) on:input=set(|f, v| f.description = v)></textarea>
            {field_msg("description")}
            <label for="pr-images">"Images (one address per line)"</label>
            <textarea id="pr-images" rows="2" prop:value=move || form.with(|f| f.images.clone()) on:input=set(|f, v| f.images = v)></textarea>
            {field_msg("images")}
            <h3>"Variants"</h3>
            <table class="table variants" data-testid="variants">
                <thead><tr><th>"SKU"</th><th>"Size"</th><th>"Colour"</th><th>"Price"</th><th>"Stock"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|(k, _)| *k let:row>
                        {
                            let (k, v) = row;
                            view! {
                                <tr data-testid="variant-row">
                                    <td><input type="text" aria-label="SKU" required=true maxlength="64" prop:value=move || v.with(|x| x.sku.clone()) on:input=move |ev| v.update(|x| x.sku = event_target_value(&ev))/></td>
                                    <td><input type="text" aria-label="Size" maxlength="40" prop:value=move || v.with(|x| x.size.clone()) on:input=move |ev| v.update(|x| x.size = event_target_value(&ev))/></td>
                                    <td><input type="text" aria-label="Colour" maxlength="40" prop:value=move || v.with(|x| x.colour.clone()) on:input=move |ev| v.update(|x| x.colour = event_target_value(&ev))/></td>
                                    <td><input type="text" inputmode="decimal" aria-label="Price" required=true size="8" prop:value=move || v.with(|x| x.price.clone()) on:input=move |ev| v.update(|x| x.price = event_target_value(&ev))/></td>
                                    <td><input type="number" min="0" max="1000000" aria-label="Stock" required=true prop:value=move || v.with(|x| x.stock.to_string()) on:input=move |ev| v.update(|x| x.stock = event_target_value(&ev).parse().unwrap_or(0))/></td>
                                    <td><button class="btn btn-link" type="button" aria-label="Remove variant" on:click=move |_| rows.update(|r| r.retain(|(key, _)| *key != k))>"Remove"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            {field_msg("variants")}
            <div>
                <button class="btn" type="button" data-testid="add-variant" on:click=add>"Add variant"</button>" "
                <button class="btn btn-primary" type="submit">"Save product"</button>
            </div>
            </fieldset>
        </form>
        <FormError error=err fields=&["name", "slug", "category_id", "description", "images", "variants"]/>
        {move || save.value().get().and_then(Result::ok).map(|_| view! { <p class="muted small" role="status">"Saved."</p> })}
    }
}
