//! `switchboard-bench store`: what a storefront page costs at catalog scale.
//!
//! A workspace on a fresh SQLite file (or `--database-url`) with `--products`
//! products spread over 10 categories, 4 variants each (sizes), then
//! `--renders` renders of each page kind, in-process: the service reads
//! (`services::storefront`) and the HTML (`pages::storefront`), which is
//! what a request costs beyond HTTP. Category pages are drawn over every page
//! of every category (deep pages included); products at random.
//!
//! Prints p50 / p95 / max per page kind and each page's weight (HTML and
//! `public/store.css`, gzip), the figure the storefront's 50 KB budget
//! counts.

use app::pages::storefront as render;
use app::services::storefront;
use app::services::AppState;
use app::types::{CartCookie, STORE_PAGE_SIZE};
use entity::{product, product_category, product_variant};
use flate2::write::GzEncoder;
use flate2::Compression;
use rand::Rng;
use sea_orm::{EntityTrait, Set};
use std::io::Write;
use std::time::{Duration, Instant};

/// Arguments of `store`.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Products in the catalog.
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// Renders of each page kind.
    #[arg(long, default_value_t = 400)]
    pub renders: usize,
    /// Database URL (default: a fresh SQLite file in the temp directory).
    #[arg(long)]
    pub database_url: Option<String>,
}

const CATEGORIES: usize = 10;
const SIZES: [&str; 4] = ["S", "M", "L", "XL"];

/// Fills the catalog; returns the brand's slug.
async fn setup(state: &AppState, products: usize) -> anyhow::Result<String> {
    let owner = app::services::accounts::create_admin(
        state,
        &format!("bench-{}@switchboard.test", uuid::Uuid::new_v4().simple()),
        "Bench Owner",
        "bench-password-1",
        "Store bench",
    )
    .await?;
    let w = owner.workspace_id;
    let scope = app::services::tenancy::Scoped::new(w);
    let brand = app::services::kb::structure::default_brand(&state.db, scope).await?;
    let t = chrono::Utc::now();
    let mut cats = Vec::new();
    for c in 0..CATEGORIES {
        let r = product_category::Entity::insert(product_category::ActiveModel {
            workspace_id: Set(w),
            name: Set(format!("Category {c}")),
            slug: Set(format!("category-{c}")),
            position: Set(i32::try_from(c)?),
            created_at: Set(t),
            ..Default::default()
        })
        .exec(&state.db)
        .await?;
        cats.push(r.last_insert_id);
    }
    let rows: Vec<product::ActiveModel> = (0..products)
        .map(|i| product::ActiveModel {
            workspace_id: Set(w),
            category_id: Set(Some(cats[i % CATEGORIES])),
            name: Set(format!("Product {i:05}")),
            slug: Set(format!("product-{i:05}")),
            description: Set(format!(
                "Product {i}: a sturdy, light piece of kit for long days outside.\n\nMade to last."
            )),
            images: Set("[]".into()),
            status: Set("active".into()),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        product::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&state.db)
            .await?;
    }
    let ids: Vec<i32> = app::services::tenancy::Scoped::new(w)
        .find::<product::Entity>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let variants: Vec<product_variant::ActiveModel> = ids
        .iter()
        .flat_map(|pid| {
            SIZES
                .iter()
                .enumerate()
                .map(move |(k, s)| product_variant::ActiveModel {
                    workspace_id: Set(w),
                    product_id: Set(*pid),
                    sku: Set(format!("P{pid}-{s}")),
                    options: Set(format!(r#"{{"size":"{s}"}}"#)),
                    price_minor: Set(1_000 + i64::from(*pid % 90) * 100),
                    currency: Set("eur".into()),
                    stock: Set(if k == 3 { 0 } else { 12 }),
                    position: Set(i32::try_from(k).unwrap_or(0)),
                    ..Default::default()
                })
        })
        .collect();
    for chunk in variants.chunks(500) {
        product_variant::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&state.db)
            .await?;
    }
    Ok(brand.slug)
}

fn gzip(s: &str) -> usize {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    let _ = e.write_all(s.as_bytes());
    e.finish().map(|v| v.len()).unwrap_or(0)
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1_000.0
}

/// Runs the benchmark.
///
/// # Errors
/// Setup failures.
pub async fn run(a: StoreArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sb-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("store.db").display()));
    let cfg = app::services::Config {
        database_url: url,
        data_dir: dir.display().to_string(),
        ..Default::default()
    };
    let state = switchboard_server::runtime::build_state(cfg).await?;
    let slug = setup(&state, a.products).await?;
    let css = std::fs::read_to_string("public/store.css").unwrap_or_default();
    let css_gz = gzip(&css);
    let cart = CartCookie::default();
    let per_category = a.products.div_ceil(CATEGORIES) as u64;
    let pages = per_category.div_ceil(STORE_PAGE_SIZE).max(1);
    let mut rng = rand::thread_rng();
    let (mut home, mut cat, mut prod) = (Vec::new(), Vec::new(), Vec::new());
    let (mut home_w, mut cat_w, mut prod_w) = (0, 0, 0);
    for _ in 0..a.renders {
        let t = Instant::now();
        let v = storefront::home(&state, &slug, &cart).await?;
        let html = render::render_home(&v);
        home.push(t.elapsed());
        home_w = gzip(&html);

        let c = rng.gen_range(0..CATEGORIES);
        let p = rng.gen_range(1..=pages);
        let t = Instant::now();
        let v = storefront::category(&state, &slug, &format!("category-{c}"), p, &cart).await?;
        let html = render::render_category(&v);
        cat.push(t.elapsed());
        cat_w = cat_w.max(gzip(&html));

        let i = rng.gen_range(0..a.products);
        let t = Instant::now();
        let v = storefront::product(&state, &slug, &format!("product-{i:05}"), &cart).await?;
        let html = render::render_product(&v, None);
        prod.push(t.elapsed());
        prod_w = prod_w.max(gzip(&html));
    }
    println!(
        "\n{} products, {CATEGORIES} categories, {} variants; {} renders each (service + HTML, in-process)\n",
        a.products,
        a.products * SIZES.len(),
        a.renders
    );
    println!("| page | p50 | p95 | max | weight (HTML + CSS, gzip) |\n|---|---|---|---|---|");
    for (name, v, w) in [
        ("home (each category's first 4)", &mut home, home_w),
        ("category page (24 products, any page)", &mut cat, cat_w),
        ("product page (4 variants)", &mut prod, prod_w),
    ] {
        let max = v.iter().max().copied().unwrap_or_default().as_secs_f64() * 1_000.0;
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {max:.2} ms | {} B + {css_gz} B = {} B |",
            pct(v, 0.5),
            pct(v, 0.95),
            w,
            w + css_gz
        );
    }
    state.db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
