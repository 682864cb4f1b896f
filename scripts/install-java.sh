#!/bin/sh
# Installs a Java runtime (Debian's default-jre-headless, OpenJDK 17 on bookworm: a 44 MB download,
# about 190 MB installed, under a minute) for the docs test (npm run test:docs): the README's
# walk-through runs `java -jar app.jar` masked, and test/docs/java.docs.ts runs HotSpot under each
# psABI level (docs/cpuid.md). The JRE's module image has javac and jar as tools, which the test
# uses to make its jar. Without java those blocks skip, saying so.
set -eu
. "$(dirname "$0")/lib/apt-install.sh"
need java default-jre-headless
[ -z "$pkgs" ] || apt_install $pkgs
