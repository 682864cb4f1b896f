#!/bin/sh
# Installs a Java runtime (Debian's default-jre-headless, OpenJDK 17 on bookworm: a 44 MB download,
# about 190 MB installed, under a minute) for the docs test (npm run test:docs): the README's
# walk-through runs `java -jar app.jar` masked, and test/docs/java.docs.ts runs HotSpot under each
# psABI level (docs/cpuid.md). The JRE's module image has javac and jar as tools, which the test
# uses to make its jar. Without java those blocks skip, saying so.
set -eu
command -v java >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null)" ]; then
  flock /tmp/apt.lock $SUDO apt-get update
fi
flock /tmp/apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends default-jre-headless
