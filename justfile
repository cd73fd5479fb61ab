# Thin wrappers over the cargo commands in the README; `just` is optional.

# Run the API on http://localhost:8000 (SQLite unless DATABASE_URL is set).
run:
    cargo run --release -p http-actix --bin api

# Run every test (PostgreSQL if TEST_DATABASE_URL is set, else SQLite).
test:
    cargo test --workspace

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --all-features -- -D warnings

fmt:
    cargo fmt --all

# Apply pending migrations, saying which (pass e.g. `status`, `down 1`, `fresh --yes` to drop every table).
migrate *args="up":
    cargo run --release -p http-actix --bin api -- migrate {{args}}

# Write a new RSA key pair into keys/ (pass --force to overwrite, --rotate to keep the old key as retired).
keygen *args="":
    cargo run --release -p http-actix --bin api -- keygen {{args}}

# Create (or promote) an administrator.
create-admin username email:
    cargo run --release -p http-actix --bin api -- create-admin --username {{username}} --email {{email}}

# The API with Swagger UI at http://localhost:8000/docs and ReDoc at /redoc.
docs:
    DEBUG=true cargo run --release -p http-actix --bin api

# Print the OpenAPI document.
openapi:
    cargo run -q --release -p http-actix --bin api -- openapi

# What CI runs.
ci:
    bash .ci/run

# Benchmark the release binary on a throw-away PostgreSQL database (BENCH_DURATION=10 seconds per scenario).
bench:
    python3 scripts/bench.py

# Soak: 10 minutes of mixed load with a database restart in the middle, on a throw-away cluster (SOAK_DURATION=600 seconds).
soak:
    python3 scripts/soak.py

# Growth soak: 5 minutes of logins, refreshes, logouts and expiring sessions; the sessions and refresh-token tables stay bounded (SOAK_GROWTH_DURATION=300 seconds).
soak-growth:
    python3 scripts/soak_growth.py
