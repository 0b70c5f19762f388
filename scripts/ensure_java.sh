#!/usr/bin/env bash
# The Spark tests run local Spark, which needs Java 17. Install Debian's headless JRE when it
# is missing and we are root (CI and the dev machines are); otherwise say what to install (the
# Spark tests are then skipped locally; in CI they fail instead).
set -u
command -v java >/dev/null && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing openjdk-17-jre-headless from Debian's packages…"
  mkdir -p /usr/share/man/man1  # slim Debian images lack it and the JRE postinst then fails
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
else
  echo "Spark tests need Java 17 (apt-get install openjdk-17-jre-headless); they will be skipped locally."
fi
exit 0
