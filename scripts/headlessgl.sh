#!/usr/bin/env bash
# `npm run test:headlessgl`: the GPU parity suite and the DCL-MoE training steps on gpu.js's headless-gl mode.
#
# Opt-in, not part of `npm test`: headless-gl is the native npm package `gl`, which has no usable prebuilt
# binary here and builds from source (~2.5 min on 2 cores), and it needs an X display (Xvfb). It is built
# into .cache/headlessgl (git-ignored) and found through NODE_PATH, so package.json, the lockfile and
# `npm ci` stay as they are. The GL "device" is Mesa's llvmpipe (software rasteriser) unless the machine
# has a GPU with an X server. Pass vitest arguments after `--`, e.g. `npm run test:headlessgl -- -t softmax`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The version gpu.js 2.24.1 pins as its optional dependency (node_modules/gpu.js/package.json).
GL_VERSION=8.1.6
PREFIX=.cache/headlessgl

# ---- Debian packages: a C++ toolchain and X headers for the build, Xvfb + Mesa to run -----------------
# mesa-utils: glxinfo, to print the renderer.
PACKAGES=(build-essential python3 pkg-config libx11-dev libxi-dev libxext-dev xvfb xauth libgl1-mesa-dri mesa-utils)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "headlessgl: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- gl, built from source into its own folder ------------------------------------------------------
export NODE_PATH="$PWD/$PREFIX/node_modules${NODE_PATH:+:$NODE_PATH}"
# The version of a gl whose native module loads (it loads without a display: only contexts need one).
gl_version() { node -p "try { require('gl'); require('gl/package.json').version } catch { '' }"; }
installed=$(gl_version)
if [ "$installed" != "$GL_VERSION" ]; then
  echo "headlessgl: building gl@$GL_VERSION from source into $PREFIX (takes a few minutes)"
  mkdir -p "$PREFIX"
  # A package.json of its own, so npm installs here and never walks up to the project's; allowScripts
  # approves gl's install script (the build), which npm 11 warns about and later npm versions skip.
  echo "{ \"name\": \"netmoe-headlessgl\", \"private\": true, \"allowScripts\": { \"gl@$GL_VERSION\": true } }" >"$PREFIX/package.json"
  start=$(date +%s)
  # npm_config_build_from_source: gl's prebuild-install (which reads it from the environment; npm warns it
  # does not know it) skips its download, which finds no binary here, and node-gyp compiles.
  npm_config_build_from_source=true npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund "gl@$GL_VERSION"
  if [ "$(gl_version)" != "$GL_VERSION" ]; then echo "headlessgl: gl@$GL_VERSION was installed but its native module does not load" >&2; exit 1; fi
  echo "headlessgl: gl built in $(($(date +%s) - start)) s"
fi

# ---- run under a virtual X server -------------------------------------------------------------------
# NETMOE_GPU_MODES makes the GPU tests run these modes and fail (not skip) when one does not work.
export NETMOE_GPU_MODES=headlessgl
xvfb-run -a bash -c 'node scripts/headlessgl-info.cjs && echo "headlessgl: X server GL renderer: $(glxinfo -B | sed -n "s/^OpenGL renderer string: //p")"'
xvfb-run -a npx vitest run test/kernels/gpu/parity.test.ts test/kernels/gpu/training.test.ts "$@"
