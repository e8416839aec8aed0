# Tidings: everyday commands. `just` lists them.

pg_url := env_var_or_default("TIDINGS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

default:
    @just --list

# Run the server (SQLite in ./tidings-data unless TIDINGS_DATABASE_URL says otherwise).
run:
    cargo run --release

# Every test on SQLite and PostgreSQL.
test:
    TIDINGS_TEST_POSTGRES_URL={{pg_url}} cargo test --workspace

# Every test on SQLite only (no database server needed).
test-sqlite:
    env -u TIDINGS_TEST_POSTGRES_URL cargo test --workspace

# Formatting, clippy with warnings denied, and the dependency-direction check.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    ./scripts/check-dependency-direction.sh

fmt:
    cargo fmt --all

# Apply database migrations and exit.
migrate:
    cargo run --release -- migrate

# Rewrite crates/http/openapi.json after a reviewed API change.
openapi:
    UPDATE_SNAPSHOTS=1 cargo test -p tidings-http openapi

# Validate the OpenAPI document with openapi-spec-validator (PyPI, in target/python-tools).
openapi-check:
    ./scripts/check-openapi.sh

# Fuzz the API with schemathesis for SECONDS against a fresh server (scripts/fuzz.sh).
fuzz SECONDS="150":
    ./scripts/fuzz.sh {{SECONDS}}

# What CI runs.
ci:
    bash .ci/run

# The load benchmark (docs/PERFORMANCE.md): a release server on SQLite and PostgreSQL,
# WebSockets, REST and WebSocket sends, memory per idle connection, pgbench, bare endpoint.
# Extra arguments go to tidings-bench, e.g. `just bench --database postgres --rate 8000`.
bench *ARGS:
    cargo build --release -p tidings-app -p tidings-bench
    ./target/release/tidings-bench {{ARGS}}
