#!/usr/bin/env bash
# Checks the packaging (Dockerfile, compose.yaml, deploy/) without a container engine.
#
# Base images cannot be pulled on the CI machine, so the Dockerfile's build and run steps are
# mirrored here on the host instead:
#   1. the Dockerfile still has the lines mirrored below (else: fail, update both);
#   2. the build: the files the Dockerfile copies, alone in <target>/check-packaging/context, and
#      the same `cargo build --release --locked --bin challenge-bot` there (<target>:
#      $CARGO_TARGET_DIR, else ./target);
#   3. the runtime image: the binary at <tmp>/usr/local/bin/challenge-bot needs nothing the Debian
#      slim image lacks (glibc, libgcc, libm, ld-linux, glibc no newer than bookworm's);
#   4. the run: as an unprivileged user (nobody, when run as root) in <tmp>/data, with the image's
#      environment pointed there, `migrate`, `challenge create` and `challenge list` succeed and the
#      SQLite file appears; the image's CMD (`bot`) is a command;
#   5. deploy/challenge-bot.service passes `systemd-analyze verify`;
#   6. compose.yaml parses (python3 with PyYAML, if present) and says what the README says;
#   7. the proxy examples pass `nginx -t` / `caddy adapt`, if those are installed.
# At the end it prints what was verified and what was not.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

verified=()
not_verified=("the images themselves: nothing was built or run with docker/podman (base images cannot be pulled here)")

fail() {
    echo "check-packaging: FAIL: $*" >&2
    exit 1
}
passed() {
    echo "ok: $*"
    verified+=("$*")
}
skipped() {
    echo "skipped: $*"
    not_verified+=("$*")
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-packaging.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The unprivileged user must be able to reach the binary and the data directory inside.
chmod 0755 "$tmp"

echo "== Dockerfile: the lines mirrored here"
# Each line, compared without leading and trailing blanks and a trailing "\".
dockerfile_lines=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*\\\?[[:space:]]*$//' Dockerfile)
expect_line() {
    grep -qxF -- "$1" <<<"$dockerfile_lines" ||
        fail "Dockerfile no longer has the line '$1', which deploy/check-packaging.sh mirrors: change both together"
}
build_command='cargo build --release --locked --bin challenge-bot'
expect_line 'FROM rust:1.94-slim-bookworm AS build'
expect_line 'WORKDIR /src'
# The build context this script recreates: exactly these copies.
copies=('Cargo.toml Cargo.lock ./' 'benches benches' 'migrations migrations' 'src src' 'vendor vendor')
for copy in "${copies[@]}"; do
    expect_line "COPY $copy"
done
n_copies=$(grep -c '^[[:space:]]*COPY ' Dockerfile)
[ "$n_copies" -eq $((${#copies[@]} + 1)) ] ||
    fail "Dockerfile has $n_copies COPY lines, deploy/check-packaging.sh mirrors ${#copies[@]} (+ the binary): change both together"
expect_line "$build_command"
expect_line '&& cp target/release/challenge-bot /usr/local/bin/challenge-bot'
expect_line 'FROM debian:bookworm-slim'
expect_line 'COPY --from=build /usr/local/bin/challenge-bot /usr/local/bin/challenge-bot'
expect_line 'VOLUME /data'
expect_line 'WORKDIR /data'
expect_line 'ENV DATABASE_URL=sqlite:///data/challenge-bot.db'
expect_line 'ENV LISTEN_ADDR=0.0.0.0:8080'
expect_line 'EXPOSE 8080'
expect_line 'USER 10001:10001'
expect_line 'ENTRYPOINT ["challenge-bot"]'
expect_line 'CMD ["bot"]'
# The runtime stage installs nothing, which the library check below relies on.
if sed -n '/^FROM debian:bookworm-slim/,$p' Dockerfile | grep -q 'apt-get'; then
    fail "the runtime stage installs packages now: update the library check in deploy/check-packaging.sh"
fi
passed "Dockerfile has the build, COPY, USER, VOLUME, WORKDIR, ENV, EXPOSE, ENTRYPOINT and CMD lines mirrored here"

echo "== build: $build_command (in a copy of the Dockerfile's build context)"
target_dir=${CARGO_TARGET_DIR:-$repo/target}
# A fresh copy each run, at a fixed place with the files' times kept, so that cargo rebuilds only
# what changed since the last run.
context="$target_dir/check-packaging/context"
rm -rf "$context"
mkdir -p "$context"
for copy in "${copies[@]}"; do
    read -r -a parts <<<"$copy"
    unset 'parts[${#parts[@]}-1]'
    cp -Rp "${parts[@]}" "$context/"
done
(cd "$context" && CARGO_TARGET_DIR="$target_dir" $build_command)
binary="$target_dir/release/challenge-bot"
[ -x "$binary" ] || fail "the build left no binary at $binary"
passed "'$build_command' builds from only the files the Dockerfile copies (target dir $target_dir)"

echo "== runtime image: the binary at <tmp>/usr/local/bin/challenge-bot"
root="$tmp/root"
install -D -m 0755 "$binary" "$root/usr/local/bin/challenge-bot"
install -d -m 0700 "$root/data"
bin="$root/usr/local/bin/challenge-bot"
echo "size: $(du -h "$bin" | cut -f1)"
ldd "$bin"
unexpected=$(ldd "$bin" | awk '{print $1}' |
    grep -Ev '^(linux-vdso\.so\.1|/?[^ ]*ld-linux[^ ]*\.so\.[0-9]+|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1)$' || true)
[ -z "$unexpected" ] ||
    fail "the binary needs libraries the runtime image (debian:bookworm-slim, no packages) lacks: $unexpected"
newest_glibc=$(objdump -T "$bin" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1 || true)
if [ -n "$newest_glibc" ]; then
    [ "$(printf '%s\n%s\n' "$newest_glibc" 2.36 | sort -V | tail -1)" = 2.36 ] ||
        fail "the binary needs glibc $newest_glibc; bookworm has 2.36"
    passed "the binary links only glibc, libgcc and libm (ldd), glibc symbols up to $newest_glibc (bookworm: 2.36)"
else
    passed "the binary links only glibc, libgcc and libm (ldd)"
    skipped "the glibc symbol versions (objdump not available)"
fi

echo "== run: as the image runs it, on SQLite in <tmp>/data"
data="$root/data"
db="$data/challenge-bot.db"
if [ "$(id -u)" -eq 0 ]; then
    chown 65534:65534 "$data"
    if command -v setpriv >/dev/null; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    else
        as_user=(runuser -u "$(id -nu 65534)" --)
    fi
    who="uid 65534 (nobody)"
else
    as_user=()
    who="uid $(id -u) (not root)"
fi
# The image's environment (ENV lines) with the data directory moved into <tmp>, nothing else.
run() {
    (cd "$data" && "${as_user[@]}" env -i PATH="$root/usr/local/bin:/usr/bin:/bin" HOME="$data" \
        DATABASE_URL="sqlite://$db" LISTEN_ADDR=0.0.0.0:8080 challenge-bot "$@")
}
run migrate
[ -f "$db" ] || fail "challenge-bot migrate left no database at $db"
deadline=$(date -u -d '+30 days' +%F)
run challenge create --user 1 --user-name Packager --name "Packaging check" --deadline "$deadline" \
    --goal 10 --unit km
listed=$(run challenge list --user 1)
echo "$listed"
grep -q 'Packaging check' <<<"$listed" || fail "challenge list does not show the challenge just created"
if [ "$(id -u)" -eq 0 ]; then
    [ "$(stat -c %u "$db")" = 65534 ] || fail "the database is not owned by the unprivileged user"
fi
run bot --help >/dev/null || fail "the image's CMD, 'bot', is not a command of this binary"
passed "as $who: migrate, challenge create and challenge list succeed on sqlite://<tmp>/data/challenge-bot.db, the file exists; 'bot --help' succeeds (CMD)"

echo "== systemd-analyze verify deploy/challenge-bot.service"
if ! command -v systemd-analyze >/dev/null; then
    skipped "systemd-analyze verify (systemd-analyze not installed)"
else
    # verify fails when ExecStart's binary does not exist; unless it is installed, verify a copy of
    # the unit whose ExecStart is the binary just built in <tmp>, the rest of it unchanged.
    unit_dir="$tmp/units"
    mkdir "$unit_dir"
    if [ -x /usr/local/bin/challenge-bot ]; then
        cp deploy/challenge-bot.service "$unit_dir/"
        what="the unit as it is"
    else
        sed "s|^ExecStart=/usr/local/bin/challenge-bot |ExecStart=$bin |" deploy/challenge-bot.service \
            >"$unit_dir/challenge-bot.service"
        grep -q "^ExecStart=$bin bot\$" "$unit_dir/challenge-bot.service" ||
            fail "deploy/challenge-bot.service has no 'ExecStart=/usr/local/bin/challenge-bot bot' line"
        what="a copy of the unit with ExecStart=<tmp>/usr/local/bin/challenge-bot bot (not installed here), otherwise unchanged"
    fi
    out=$(systemd-analyze verify --man=no "$unit_dir/challenge-bot.service" 2>&1) || {
        echo "$out"
        fail "systemd-analyze verify rejects deploy/challenge-bot.service"
    }
    if grep -q 'challenge-bot.service' <<<"$out"; then
        echo "$out"
        fail "systemd-analyze verify warns about deploy/challenge-bot.service"
    fi
    [ -z "$out" ] || echo "(about other units: $out)"
    passed "systemd-analyze verify passes without a warning, on $what"
    if score=$(systemd-analyze security --offline=true --no-pager "$unit_dir/challenge-bot.service" 2>/dev/null |
        grep -o 'Overall exposure level for .*' ); then
        echo "$score"
    fi
fi

echo "== compose.yaml"
if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
    python3 - compose.yaml <<'EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    c = yaml.safe_load(f)
bot, db = c["services"]["bot"], c["services"]["db"]
checks = {
    "bot is built from the Dockerfile": bot.get("build") == ".",
    "bot restarts unless stopped": bot.get("restart") == "unless-stopped",
    "bot reads the token from an env_file": bool(bot.get("env_file")),
    "bot uses PostgreSQL in db": str(bot["environment"]["DATABASE_URL"]).startswith("postgres://challenge_bot:")
        and str(bot["environment"]["DATABASE_URL"]).endswith("@db/challenge_bot"),
    "bot waits for a healthy db": bot["depends_on"]["db"]["condition"] == "service_healthy",
    "port 8080 only on 127.0.0.1": bot.get("ports") == ["127.0.0.1:8080:8080"],
    "db is postgres:15": db.get("image") == "postgres:15",
    "db checks itself with pg_isready": "pg_isready" in " ".join(db["healthcheck"]["test"]),
    "db keeps its data in a named volume": any(
        str(v).split(":")[0] in (c.get("volumes") or {}) for v in db.get("volumes", [])),
}
bad = [k for k, ok in checks.items() if not ok]
if bad:
    sys.exit("compose.yaml: " + "; ".join(bad) + ": not as deploy/check-packaging.sh expects")
EOF
    passed "compose.yaml parses (PyYAML): bot built here, env_file, PostgreSQL URL, waits for a healthy db, 127.0.0.1:8080, postgres:15 with pg_isready and a named volume"
else
    skipped "compose.yaml parsing (python3 with PyYAML not available)"
fi
if docker compose version >/dev/null 2>&1; then
    printf 'TELEGRAM_BOT_TOKEN=1:x\nPOSTGRES_PASSWORD=x\n' >"$tmp/compose.env"
    docker compose -f compose.yaml --env-file "$tmp/compose.env" config -q ||
        fail "docker compose config rejects compose.yaml"
    passed "docker compose config accepts compose.yaml"
else
    skipped "docker compose config (the compose plugin is not installed)"
fi

echo "== reverse proxy examples"
if command -v nginx >/dev/null; then
    # The example with a throw-away certificate in place of Let's Encrypt's, in a minimal nginx.conf.
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bot.example.org \
        -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
    sed -e "s|/etc/letsencrypt/live/bot.example.org/fullchain.pem|$tmp/cert.pem|" \
        -e "s|/etc/letsencrypt/live/bot.example.org/privkey.pem|$tmp/key.pem|" deploy/nginx.conf >"$tmp/site.conf"
    {
        printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n    access_log off;\n' "$tmp"
        for kind in client_body proxy fastcgi uwsgi scgi; do
            printf '    %s_temp_path %s/nginx-%s;\n' "$kind" "$tmp" "$kind"
        done
        printf '    include %s/site.conf;\n}\n' "$tmp"
    } >"$tmp/nginx.conf"
    nginx -t -q -c "$tmp/nginx.conf" -e stderr || fail "nginx -t rejects deploy/nginx.conf"
    passed "nginx -t accepts deploy/nginx.conf (with a throw-away certificate)"
else
    skipped "deploy/nginx.conf (nginx not installed)"
fi
if command -v caddy >/dev/null; then
    caddy adapt --config deploy/Caddyfile --adapter caddyfile >/dev/null 2>"$tmp/caddy.log" || {
        cat "$tmp/caddy.log"
        fail "caddy adapt rejects deploy/Caddyfile"
    }
    passed "caddy adapt accepts deploy/Caddyfile"
else
    skipped "deploy/Caddyfile (caddy not installed)"
fi
not_verified+=("the service running under systemd, the bot reaching Telegram, the health endpoints and the webhook through a proxy")

echo
echo "== packaging check passed"
echo "Verified:"
for item in "${verified[@]}"; do echo "  + $item"; done
echo "Not verified:"
for item in "${not_verified[@]}"; do echo "  - $item"; done
