#!/usr/bin/env bash
# Build the app, worker and nginx images from docker/Dockerfile.
#
#   docker/build-docker-images.sh            build, tag <prefix>-<target>:<version>
#   docker/build-docker-images.sh --push     ... and push them
#   REGISTRY=ghcr.io/acme docker/build-docker-images.sh   build and push to that registry
#
# Environment:
#   VERSION       tag and label (default: `git describe --tags --always --dirty`)
#   GIT_COMMIT    label (default: `git rev-parse HEAD`)
#   REGISTRY      registry and namespace; when set, images are pushed
#   IMAGE_PREFIX  image name prefix (default: orgportal, or $REGISTRY/orgportal)
#   TARGETS       which images (default: "app worker nginx")
#   TAG_LATEST    "true" also tags (and pushes) :latest
#   SOURCE_URL    org.opencontainers.image.source label
#   DOCKER        the docker client (default: docker)
#
# Prints the tag to put in .env as IMAGE_TAG (or to pass to docker/update-services.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

push=false
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    -h | --help)
      sed -n '2,20p' "$0"
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

docker_cmd="${DOCKER:-docker}"
registry="${REGISTRY:-}"
registry="${registry%/}"
if [[ -n "$registry" ]]; then
  push=true
fi
prefix="${IMAGE_PREFIX:-${registry:+${registry}/}orgportal}"

version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)}"
# Docker tags allow [A-Za-z0-9_.-], up to 128 characters, not starting with . or -.
tag="$(printf '%s' "$version" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)"
tag="${tag#[.-]}"
commit="${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

if [[ "$version" == *-dirty ]]; then
  echo "warning: the work tree has uncommitted changes; the images carry them" >&2
fi

read -r -a targets <<<"${TARGETS:-app worker nginx}"
built=()
for target in "${targets[@]}"; do
  image="${prefix}-${target}"
  tags=(--tag "${image}:${tag}")
  if [[ "${TAG_LATEST:-false}" == "true" ]]; then
    tags+=(--tag "${image}:latest")
  fi
  echo "==> building ${image}:${tag} (target ${target})" >&2
  "$docker_cmd" build \
    --file docker/Dockerfile \
    --target "$target" \
    --build-arg "VERSION=${version}" \
    --build-arg "GIT_COMMIT=${commit}" \
    --build-arg "BUILD_DATE=${created}" \
    --build-arg "SOURCE_URL=${SOURCE_URL:-}" \
    "${tags[@]}" \
    .
  built+=("${image}:${tag}")
  if [[ "${TAG_LATEST:-false}" == "true" ]]; then
    built+=("${image}:latest")
  fi
done

if [[ "$push" == "true" ]]; then
  for image in "${built[@]}"; do
    echo "==> pushing ${image}" >&2
    "$docker_cmd" push "$image"
  done
fi

echo "$tag"
