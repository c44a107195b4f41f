# Sourced by hack/cluster.sh (its settings and helpers in scope): the images.
# shellcheck shell=bash

# ---------------------------------------------------------------------------------------------
# images: built with buildah (chroot isolation, no daemon), kept as OCI archives keyed by their
# inputs, imported into containerd's k8s.io namespace under the names the manifests use

# sha256 of the named files and directories (tracked and untracked, not ignored), the first 16 hex
inputs_key() {
  (
    cd "$repo"
    git ls-files -co --exclude-standard -- "$@" | sort | while read -r f; do
      [ -f "$f" ] && printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"
    done
    printf '%s\n' "$*"
  ) | sha256sum | cut -c1-16
}

# export_image <name> <archive>: the image in buildah's storage written as an OCI archive, atomically
export_image() {
  local name="$1" archive="$2"
  buildah push -q "$name" "oci-archive:$archive.tmp:$name" >/dev/null
  mv "$archive.tmp" "$archive"
}

# rootfs_image <rootfs.tar> <archive> <name> <config>: the OCI archive of an image whose one layer is
# the root filesystem mmdebstrap wrote, put together directly: what `buildah bud` of `FROM scratch`
# and `ADD rootfs.tar /` gives, without unpacking 600 MB into a container and packing them again
# (docs/deploy.md). <config> is the members of the image config's "config" object, as JSON. The
# layer stays uncompressed: containerd and buildah read it as it is. Consumes <rootfs.tar>.
rootfs_image() {
  # blob <json>: stores it under its digest in the layout, prints its descriptor's digest and size
  blob() {
    local digest
    digest="$(printf '%s' "$1" | sha256sum | cut -c1-64)"
    printf '%s' "$1" >"$dir/blobs/sha256/$digest"
    printf '"digest":"sha256:%s","size":%s' "$digest" "${#1}"
  }
  local rootfs="$1" archive="$2" name="$3" config="$4" dir layer size cfg manifest
  dir="$(dirname "$rootfs")/oci"
  mkdir -p "$dir/blobs/sha256"
  layer="$(sha256sum <"$rootfs" | cut -c1-64)"
  size="$(stat -c %s "$rootfs")"
  mv "$rootfs" "$dir/blobs/sha256/$layer"
  cfg="$(printf '{"architecture":"%s","os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"mmdebstrap (hack/cluster/images.sh)"}]}' \
    "$(dpkg --print-architecture)" "$config" "$layer")"
  cfg="$(blob "$cfg")"
  manifest="$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json",%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$layer" "$size")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$(blob "$manifest")" "$name" >"$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  tar -cf "$archive.tmp" -C "$dir" oci-layout index.json blobs
  rm -rf "$dir"
  mv "$archive.tmp" "$archive"
}

# Node 20 from Debian 13's packages (bookworm's is 18) with npm and a compiler for native modules;
# the image's user 1000 is `node`, as in the official image. Keyed by this function's own text.
build_base() {
  local key base archive start tmp
  key="$(declare -f build_base | sha256sum | cut -c1-16)"
  base="localhost/rps-quest/node20-base:$key"
  archive="$images/node20-base-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $base from Debian trixie's packages (minutes)" >&2
    start=$(date +%s)
    tmp="$(mktemp -d)"
    mmdebstrap --quiet --mode=root --variant=apt \
      --include=nodejs,npm,libnode-dev,ca-certificates,python3,make,g++ \
      --customize-hook='echo "node:x:1000:1000::/home/node:/bin/sh" >>"$1/etc/passwd"' \
      --customize-hook='echo "node:x:1000:" >>"$1/etc/group"' \
      --customize-hook='mkdir -p "$1/home/node" && chown 1000:1000 "$1/home/node"' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      trixie "$tmp/rootfs.tar" http://deb.debian.org/debian >&2
    # native modules compile against Debian's Node headers (/usr/include/node)
    rootfs_image "$tmp/rootfs.tar" "$archive" "$base" \
      '"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","npm_config_nodedir=/usr"],"Cmd":["node"]'
    rm -rf "$tmp"
    say "built the base in $(($(date +%s) - start)) s" >&2
  fi
  # the app's build starts from it in buildah's storage
  buildah inspect --type image "$base" >/dev/null 2>&1 || buildah pull -q "oci-archive:$archive" >/dev/null
  echo "$base"
}

# PostgreSQL from Debian bookworm's packages (the official image's release), run as the image's
# postgres user (uid 999, as in the official image) through hack/cluster/postgres-entrypoint.sh;
# it stops on SIGINT (fast shutdown) as the official image does. Keyed by this function's text and
# the entrypoint.
build_postgres() {
  local key archive start tmp
  key="$( (declare -f build_postgres && cat "$here/postgres-entrypoint.sh") | sha256sum | cut -c1-16)"
  archive="$images/postgres-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $postgres_image from Debian bookworm's packages (minutes)" >&2
    start=$(date +%s)
    tmp="$(mktemp -d)"
    # the user exists before the package's postinst, which keeps it; no cluster of Debian's own
    mmdebstrap --quiet --mode=root --variant=apt --include=postgresql \
      --essential-hook='echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh" >>"$1/etc/passwd"' \
      --essential-hook='echo "postgres:x:999:" >>"$1/etc/group"' \
      --customize-hook='rm -rf "$1"/var/lib/postgresql/*/main "$1"/etc/postgresql/*/main' \
      --customize-hook='ln -s "$(basename "$(ls -d "$1"/usr/lib/postgresql/[0-9]*)")/bin" "$1/usr/lib/postgresql/bin"' \
      --customize-hook='mkdir -p "$1/var/lib/postgresql/data" "$1/var/run/postgresql"' \
      --customize-hook='chown -R 999:999 "$1/var/lib/postgresql" "$1/var/run/postgresql"' \
      --customize-hook="install -m 0755 '$here/postgres-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian >&2
    rootfs_image "$tmp/rootfs.tar" "$archive" "$postgres_image" \
      '"User":"999:999","ExposedPorts":{"5432/tcp":{}},"Env":["PATH=/usr/lib/postgresql/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","PGDATA=/var/lib/postgresql/data"],"Entrypoint":["docker-entrypoint.sh"],"Cmd":["postgres"],"StopSignal":"SIGINT"'
    rm -rf "$tmp"
    say "built $postgres_image in $(($(date +%s) - start)) s" >&2
  fi
  echo "$archive"
}

# build_app <base image>: the project's image, from its own Dockerfile on that base, unless cached;
# prints its archive
build_app() {
  local base="$1" key archive start tmp
  # the key holds this function's text too: a change to how the image is built builds it again
  key="$( (inputs_key Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json \
    cli.ts core lib app trainer operator 'hack/*.ts' hack/harness && declare -f build_app) |
    sha256sum | cut -c1-16)-${base##*:}"
  archive="$images/rps-quest-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $app_image (minutes)" >&2
    start=$(date +%s)
    tmp="$(mktemp -d)"
    local ca=()
    # a TLS-intercepting proxy's CA, as this machine trusts it, for npm inside the build
    if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
      ca=(-v "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
    fi
    # better-sqlite3 as this machine's `npm ci` compiled it (the same version), offered to the deps
    # stage through prebuild-install's cache, where its install script looks before it downloads or
    # compiles: named by the Node ABI and platform, so a host Node of another major is not taken;
    # prebuild-install loads it before it keeps it, and the script compiles when it does not load
    # there (another libc). One compile less from nothing (docs/deploy.md).
    local prebuilt=() name
    if [ -f "$repo/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ] &&
      name="$(cd "$repo" && node -e '
        const util = require("prebuild-install/util");
        const pkg = require("better-sqlite3/package.json");
        const url = util.getDownloadUrl({ pkg, platform: process.platform, arch: process.arch, "tag-prefix": "v" });
        console.log(require("node:path").basename(util.cachedPrebuild(url)));' 2>/dev/null)"; then
      mkdir -p "$tmp/prebuilds"
      tar -czf "$tmp/prebuilds/$name" -C "$repo/node_modules/better-sqlite3" build/Release/better_sqlite3.node
      prebuilt=(-v "$tmp/prebuilds:/root/.npm/_prebuilds")
    fi
    # --jobs 2: the build stage (npm ci, tsc) runs beside the deps stage (better-sqlite3 compiled
    # on one core when it is not offered): 176 s against 202 s from nothing. No --layers: an image
    # whose inputs changed is built whole, 77 s against 106 s committing every step's layer
    # (docs/deploy.md)
    buildah bud -q --isolation chroot --jobs 2 --build-arg "BASE=$base" "${ca[@]}" "${prebuilt[@]}" \
      -t "$app_image" "$repo" >/dev/null
    export_image "$app_image" "$archive"
    rm -rf "$tmp"
    say "built the image in $(($(date +%s) - start)) s" >&2
  fi
  echo "$archive"
}

build_images() {
  mkdir -p "$images"
  local tmp key archive
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN

  # the pod sandbox: a static pause process (hack/cluster/pause.c)
  key="$(inputs_key hack/cluster/pause.c)"
  archive="$images/pause-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $pause_image"
    mkdir -p "$tmp/pause"
    gcc -static -Os -s -o "$tmp/pause/pause" "$here/pause.c"
    printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$tmp/pause/Dockerfile"
    buildah bud -q --isolation chroot -t "$pause_image" "$tmp/pause" >/dev/null
    export_image "$pause_image" "$archive"
  fi
  echo "$archive" >"$tmp/list"

  # MinIO and the MinIO client from the pinned Go modules, static; mc's Job needs a shell
  local minio_version mc_version
  minio_version="$(basename "$(readlink -f "$bin/minio")")"
  minio_version="${minio_version#minio-}"
  mc_version="$(basename "$(readlink -f "$bin/mc")")"
  mc_version="${mc_version#mc-}"
  archive="$images/minio-$minio_version.tar"
  if [ ! -f "$archive" ]; then
    say "building $minio_image ($minio_version)"
    mkdir -p "$tmp/minio"
    cp "$bin/minio" "$tmp/minio/minio"
    printf 'FROM scratch\nCOPY minio /usr/bin/minio\nUSER 1000:1000\nENTRYPOINT ["/usr/bin/minio"]\n' >"$tmp/minio/Dockerfile"
    buildah bud -q --isolation chroot -t "$minio_image" "$tmp/minio" >/dev/null
    export_image "$minio_image" "$archive"
  fi
  echo "$archive" >>"$tmp/list"
  archive="$images/mc-$mc_version.tar"
  if [ ! -f "$archive" ]; then
    say "building $mc_image ($mc_version)"
    mkdir -p "$tmp/mc/bin"
    cp "$bin/mc" "$tmp/mc/bin/mc"
    cp "$(command -v busybox)" "$tmp/mc/bin/busybox"
    for tool in sh echo sleep; do ln -s busybox "$tmp/mc/bin/$tool"; done
    printf 'FROM scratch\nCOPY bin /bin\nENV PATH=/bin\nUSER 1000:1000\nENTRYPOINT ["/bin/mc"]\n' >"$tmp/mc/Dockerfile"
    buildah bud -q --isolation chroot -t "$mc_image" "$tmp/mc" >/dev/null
    export_image "$mc_image" "$archive"
  fi
  echo "$archive" >>"$tmp/list"
  # PostgreSQL and the Node base are two mmdebstrap runs, each about one core and the Debian mirror:
  # side by side (docs/deploy.md). Both run as background jobs, which keep `set -e` (a command
  # substitution would drop it); a failed base waits for PostgreSQL's run to end before stopping, so
  # nothing is left running, and the archive that run writes (atomically) serves the next start.
  local postgres_job base_job base
  build_postgres >"$tmp/postgres" &
  postgres_job=$!
  build_base >"$tmp/base" &
  base_job=$!
  if ! wait "$base_job"; then
    wait "$postgres_job" || true
    die "building the Node base failed (its output is above)"
  fi
  wait "$postgres_job" || die "building $postgres_image failed (its output is above)"
  base="$(cat "$tmp/base")"
  cat "$tmp/postgres" >>"$tmp/list"

  build_app "$base" >>"$tmp/list"
  # the newest archive of each image stays, older ones go
  for prefix in pause rps-quest node20-base postgres; do
    { ls -t "$images/$prefix"-*.tar 2>/dev/null | tail -n +2 | grep -v -x -F -f "$tmp/list" || true; } | xargs -r rm -f
  done
  cp "$tmp/list" "$images/current"
}

import_images() {
  local archive
  touch "$ctrd_root/imported"
  while read -r archive; do
    # an archive's name changes with its content: imported once, it is in the store
    grep -qxF "$archive" "$ctrd_root/imported" && continue
    ctr_cmd images import --all-platforms "$archive" >/dev/null
    echo "$archive" >>"$ctrd_root/imported"
  done <"$images/current"
  local present
  present="$(ctr_cmd images ls -q)"
  for name in "$app_image" "$minio_image" "$mc_image" "$pause_image" "$postgres_image"; do
    if ! grep -qx "$name" <<<"$present"; then
      rm -f "$ctrd_root/imported"
      die "image $name missing in containerd after the import (the next make cluster imports every image again)"
    fi
  done
  # images no longer current go, with their layers
  ctr_cmd images ls -q | grep -vx -F -f <(printf '%s\n' "$app_image" "$minio_image" "$mc_image" "$pause_image" "$postgres_image") |
    grep -v '^sha256:' | xargs -r ctr --address "$sock" -n k8s.io images rm >/dev/null 2>&1 || true
  cp "$images/current" "$ctrd_root/imported"
}
