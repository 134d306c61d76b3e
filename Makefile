# The two commands (see README.md) and a few helpers. Logic lives in .ci/.
.PHONY: run test setup lint bundle-size

run:          ## build, migrate, seed the demo workspace if empty, serve on 127.0.0.1:3000
	@bash .ci/serve

test:         ## every check and test: fmt, clippy (ssr + hydrate), wasm guard, SQLite + PostgreSQL, browser
	@bash .ci/test

setup:        ## install the toolchain pieces that are missing
	@bash .ci/setup --browser

bundle-size:  ## the admin app's release bundle: first load (budget 450 KB gzip) and each area
	@bash .ci/bundle-size
