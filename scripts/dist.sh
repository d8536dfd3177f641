#!/usr/bin/env bash
# Packs the release tarball (`make dist`): BIN_PATH holds the release checkoutd and stripe-sim.
# Usage: scripts/dist.sh BIN_PATH OUT_DIR NAME   → OUT_DIR/NAME.tar.gz with NAME/ inside.
set -euo pipefail
bin=$1
out=$2
name=$3
cd "$(dirname "$0")/.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
for exe in checkoutd stripe-sim; do
    install -m 0755 "$bin/$exe" "$stage/$name/$exe"
    strip "$stage/$name/$exe"
done
install -m 0644 .env.example deploy/checkoutd.service VERSION "$stage/$name/"
cat > "$stage/$name/INSTALL.md" <<TEXT
# checkout-server $(cat VERSION) ($("$stage/$name/checkoutd" --version))

\`checkoutd\` carries its migrations, openapi.yaml and web pages: copy it anywhere and run it from any
directory. It needs these Debian packages at run time: libpq5, libssl3, libcurl4 and libstdc++6 (the
Swift runtime and Foundation are linked in).

    sudo install -m 0755 checkoutd /usr/local/bin/
    sudo install -d -m 0700 /etc/checkoutd
    sudo install -m 0600 .env.example /etc/checkoutd/env    # then edit: DATABASE_URL, STRIPE_*, ADMIN_TOKEN
    sudo useradd --system checkoutd
    sudo install -m 0644 checkoutd.service /etc/systemd/system/checkoutd@.service
    sudo systemctl enable --now checkoutd@8081 checkoutd@8082

\`checkoutd migrate\` applies the schema on its own (\`serve\` does it too, under an advisory lock).
\`stripe-sim\` is the offline Stripe stand-in, for trying it without a Stripe account.
Behind a proxy, rolling restarts, sizing and backups: the project README's "Production" section.
TEXT
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
size=$(stat -c %s "$out/$name.tar.gz")
echo "dist: $out/$name.tar.gz ($size bytes, $((size / 1024 / 1024)) MiB)"
echo "dist: checkoutd needs: $(readelf -d "$stage/$name/checkoutd" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
