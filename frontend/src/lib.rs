//! Browser entry point: hydrates the server-rendered application.
//!
//! Every page is a lazy route (`app::routes`), so hydration is asynchronous: the
//! page's wasm chunk is fetched first, then the server's HTML is hydrated.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the generated JS once the WASM module is loaded.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let app = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        app.forget();
        // Lets browser tests (and curious people) know the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
